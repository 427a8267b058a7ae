"""Strict CSV reading (sim/scenario/csv_input.py)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import InputDataError
from sim.scenario.csv_input import CsvColumn, read_csv_table

COLUMNS = [
    CsvColumn("id", "id"),
    CsvColumn("sector", "choice", choices=("advanced_manufacturing", "software")),
    CsvColumn("revenue_cny", "float", min_value=0.0),
    CsvColumn("employees", "int", required=False, default=0, min_value=0),
    CsvColumn("srdi", "bool", required=False, default=False),
]


@pytest.fixture
def write(tmp_path):
    def w(text: str, name: str = "firms.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return w


def test_reads_typed_columns_and_defaults(write):
    path = write("id,sector,revenue_cny,srdi\nf1,software,1.5e7,yes\n\n f2 , advanced_manufacturing , 0 ,0\n")
    t = read_csv_table(path, COLUMNS)
    assert list(t["id"]) == ["f1", "f2"] and t["id"].dtype == object
    np.testing.assert_array_equal(t["revenue_cny"], [1.5e7, 0.0])
    np.testing.assert_array_equal(t["employees"], [0, 0])
    assert t["employees"].dtype == np.int64
    np.testing.assert_array_equal(t["srdi"], [True, False])


def test_utf8_bom_is_accepted(write):
    t = read_csv_table(write("id,sector,revenue_cny\nf1,software,1\n", encoding="utf-8-sig"), COLUMNS)
    assert list(t["id"]) == ["f1"]


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("id,sector\nf1,software\n", ["column 'revenue_cny': missing (required: id, sector, revenue_cny)"]),
        ("id,sector,revenue_cny,colour\nf1,software,1,red\n", ["column 'colour': unknown; allowed: id, sector, revenue_cny, employees, srdi"]),
        ("id,sector,revenue_cny,id\nf1,software,1,f1\n", ["header repeats a column name"]),
        ("id,sector,revenue_cny\nf1,software,ten\n", ["row 2, column 'revenue_cny': is 'ten', not a number"]),
        ("id,sector,revenue_cny\nf1,software,-0.01\n", ["row 2, column 'revenue_cny': is -0.01; must be >= 0"]),
        ("id,sector,revenue_cny\nf1,software,nan\n", ["row 2, column 'revenue_cny': is 'nan'; must be a finite number"]),
        ("id,sector,revenue_cny\nf1,software,inf\n", ["row 2, column 'revenue_cny': is 'inf'; must be a finite number"]),
        ("id,sector,revenue_cny\nf1,software,1\nf1,software,2\n", ["row 3, column 'id': duplicate id 'f1' (first at row 2)"]),
        ("id,sector,revenue_cny\n,software,1\n", ["row 2, column 'id': is empty"]),
        ("id,sector,revenue_cny\nf1,software\n", ["row 2: has 2 fields, the header has 3"]),
        ("id,sector,revenue_cny,employees\nf1,software,1,2.5\n", ["row 2, column 'employees': is '2.5', not a whole number"]),
        ("id,sector,revenue_cny,srdi\nf1,software,1,maybe\n", ["row 2, column 'srdi': is 'maybe'; allowed: 0, 1, true, false"]),
        ("id,sector,revenue_cny\nf1,mining,1\nf2,software,-5\n",
         ["row 2, column 'sector': is 'mining'; allowed: advanced_manufacturing, software", "row 3, column 'revenue_cny': is -5; must be >= 0"]),
        ("", ["empty file; expected a header row with id, sector, revenue_cny, employees, srdi"]),
    ],
)
def test_problems_name_file_row_and_column(write, text, fragments):
    path = write(text)
    with pytest.raises(InputDataError) as info:
        read_csv_table(path, COLUMNS)
    lines = str(info.value).splitlines()
    assert len(lines) == len(fragments), lines
    for line, fragment in zip(lines, fragments, strict=False):
        assert line == f"{path}: {fragment}"


def test_not_utf8_and_missing_file(write, tmp_path):
    path = write("id,sector,revenue_cny\nf1,software,1\ncafé,software,2\n", encoding="latin-1")
    with pytest.raises(InputDataError, match=r"firms\.csv: not UTF-8 \(byte at offset 39\); save the file as UTF-8"):
        read_csv_table(path, COLUMNS)
    with pytest.raises(InputDataError, match=r"nope\.csv: file not found"):
        read_csv_table(tmp_path / "nope.csv", COLUMNS)


def test_problem_list_is_bounded(write):
    text = "id,sector,revenue_cny\n" + "".join(f"f{i},software,-1\n" for i in range(50))
    with pytest.raises(InputDataError) as info:
        read_csv_table(write(text), COLUMNS)
    lines = str(info.value).splitlines()
    assert len(lines) == 21 and lines[-1].endswith("more problems not listed")


def test_values_above_a_column_maximum_are_refused(tmp_path):
    from sim.populations.firms.population import firm_columns

    path = tmp_path / "firms.csv"
    path.write_text("firm_id,sector,revenue_cny,age_years\na,software_it,1e40,3\nb,software_it,5e6,70000\n")
    with pytest.raises(InputDataError) as err:
        read_csv_table(path, list(firm_columns(["software_it"])))
    lines = str(err.value).splitlines()
    assert lines == [f"{path}: row 2, column 'revenue_cny': is 1e40; must be <= 1e+13",
                     f"{path}: row 3, column 'age_years': is 70000; must be <= 200"]


STATION_LIKE = [CsvColumn("station_id", "id"), CsvColumn("owner_id", "id"), CsvColumn("district", "text")]


def test_an_id_is_unique_in_its_own_column_only_and_text_repeats(write):
    # 'A' is a station id, an owner id and a district, on one row and across rows: all allowed.
    t = read_csv_table(write("station_id,owner_id,district\nA,A,A\nB,C,A\nC,B,A\n"), STATION_LIKE)
    assert list(t["station_id"]) == ["A", "B", "C"] and list(t["owner_id"]) == ["A", "C", "B"]
    assert list(t["district"]) == ["A", "A", "A"] and t["district"].dtype == object


def test_repeats_inside_each_id_column_are_reported_and_empty_text_refused(write):
    path = write("station_id,owner_id,district\nA,x,D\nA,x,D\nB,y,\n")
    with pytest.raises(InputDataError) as info:
        read_csv_table(path, STATION_LIKE)
    assert str(info.value).splitlines() == [
        f"{path}: row 3, column 'station_id': duplicate id 'A' (first at row 2)",
        f"{path}: row 3, column 'owner_id': duplicate id 'x' (first at row 2)",
        f"{path}: row 4, column 'district': is empty",
    ]


def test_a_table_read_again_is_a_fresh_copy_and_follows_the_file(write, monkeypatch):
    import sim.scenario.csv_input as csv_input

    path = write("id,sector,revenue_cny\nf1,software,10\nf2,software,20\n")
    first = read_csv_table(path, COLUMNS)
    first["revenue_cny"][0] = -1.0  # a caller's change must not reach the next reader
    parsed = []
    monkeypatch.setattr(csv_input, "_parse_csv_table",
                        lambda *a, _real=csv_input._parse_csv_table: parsed.append(a[0]) or _real(*a))
    again = read_csv_table(path, COLUMNS)
    np.testing.assert_array_equal(again["revenue_cny"], [10.0, 20.0])
    assert parsed == []  # the same bytes are not parsed twice
    # Same size, new content: read anew.
    write("id,sector,revenue_cny\nf1,software,30\nf2,software,40\n")
    np.testing.assert_array_equal(read_csv_table(path, COLUMNS)["revenue_cny"], [30.0, 40.0])
    assert parsed == [path]
