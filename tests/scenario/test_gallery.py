"""The gallery of broken scenario files and CSVs (tests/scenario/gallery/), each with the message
fragments it must produce, through the loader and through ``sim validate``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import InputDataError, ScenarioError
from sim.scenario.csv_input import CsvColumn, read_csv_table
from sim.scenario.loader import load_scenario

GALLERY = Path(__file__).parent / "gallery"

# file -> (file the message must name, fragments the message must contain); one line per entry
# of the fragments list, in order.
BROKEN: dict[str, list[tuple[str, str]]] = {
    "toml_syntax_error.toml": [("toml_syntax_error.toml", "TOML syntax error: Invalid value (at line 4")],
    "wrong_type.toml": [("wrong_type.toml", "horizon.first_year: Input should be a valid integer")],
    "negative_amount.toml": [
        ("negative_amount.toml",
         'instruments."hydrogen.13.construction_grant".tier_amounts_cny.0: Input should be greater than or equal to 0 (got -5000000.0)')],
    "share_above_one.toml": [
        ("share_above_one.toml",
         'instruments."hydrogen.13.operating_subsidy".share_of_cap_paid: Input should be less than or equal to 1 (got 1.5)')],
    "firms_threshold_at_stay_up.toml": [
        ("firms_threshold_at_stay_up.toml",
         "firms.above_size_threshold_cny.software_it: 100,000,000; allowed: below the 100,000,000 stay-up threshold")],
    "size_exponent_out_of_range.toml": [
        ("size_exponent_out_of_range.toml",
         "firms.growth.size_beta: a normal distribution here can take values in [0, inf]; allowed: values in [0, 5]"),
        ("size_exponent_out_of_range.toml", "firms.exit.size_exponent: -6 is out of range; allowed: values in [-5, 5]")],
    "window_reversed.toml": [
        ("window_reversed.toml",
         'instruments."hydrogen.13.operating_subsidy": valid_until (2024-12-31) is before valid_from (2025-01-01)')],
    "unknown_instrument.toml": [
        ("unknown_instrument.toml",
         "instruments.\"hydrogen.13.operating_subsidi\": unknown instrument id (did you mean 'hydrogen.13.operating_subsidy'?)")],
    "unknown_key.toml": [("unknown_key.toml", "horizon.last_yaer: unknown key (did you mean 'last_year'?); allowed: first_year, last_year")],
    "unknown_instrument_field.toml": [
        ("unknown_instrument_field.toml",
         "instruments.\"hydrogen.13.operating_subsidy\".price_cap_cny_per_kgg: unknown field for a unit_subsidy "
         "(did you mean 'price_cap_cny_per_kg'?)")],
    "missing_extends.toml": [("missing_extends.toml", "extends: 'no_such_base.toml' not found")],
    "cycle_a.toml": [("cycle_b.toml", "extends: cycle of includes cycle_a.toml -> cycle_b.toml -> cycle_a.toml")],
    "cycle_b.toml": [("cycle_a.toml", "extends: cycle of includes cycle_b.toml -> cycle_a.toml -> cycle_b.toml")],
    "not_utf8.toml": [("not_utf8.toml", "line 2: not UTF-8 (byte 0xe9); save the file as UTF-8")],
    "nan_value.toml": [("nan_value.toml", 'instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg: Input should be a finite number (got nan)')],
    "inf_value.toml": [("inf_value.toml", "budget.discount_rate: must be a finite number (NaN and infinity are not allowed) (got inf)")],
    "nan_in_distribution.toml": [
        ("nan_in_distribution.toml", 'projects.streams."hydrogen.6.first_of_kind_domestic".arrivals_per_year: low: Input should be a finite number')],
    "zero_draws.toml": [("zero_draws.toml", "ensemble.draws: Input should be greater than or equal to 1 (got 0)")],
    # ... and, every problem at once: the gallery's base has no [firms], so the programme named
    # would pay nothing once the key is spelt right.
    "eligibility_misspelt.toml": [
        ("eligibility_misspelt.toml",
         'instruments."scaleup.2.first_above_size_last_year".eligibility.sectorr: unknown key (did you mean \'sector\'?)'),
        ("eligibility_misspelt.toml",
         'instruments."scaleup.2.first_above_size_last_year": in force but no population of this scenario can claim it')],
    "unknown_district.toml": [
        ("unknown_district.toml",
         'instruments."hydrogen.13.operating_subsidy".eligibility.district: unknown district \'Daxin\' (did you mean '
         "'Daxing'?); allowed: the scenario's [hydrogen] districts: Dongcheng, Xicheng, Chaoyang,")],
    "programme_nobody_claims.toml": [
        ("programme_nobody_claims.toml",
         'instruments."scaleup.2.first_above_size_last_year": in force but no population of this scenario can claim it')],
    "lpr_stream_without_macro.toml": [
        ("lpr_stream_without_macro.toml",
         'projects.streams."software.9.major_project_loan_interest": software.9.major_project_loan_interest is '
         "LPR-linked (rate_basis = 'lpr_5y'); the scenario needs macro.lpr_5y_percent")],
    "distribution_missing_parameter.toml": [
        ("distribution_missing_parameter.toml",
         'projects.streams."hydrogen.6.first_of_kind_domestic".arrivals_per_year: sd: Field required')],
    "unknown_rationing.toml": [
        ("unknown_rationing.toml", "budget.lines.stations.rationing: Input should be 'none', 'pro_rata' or 'queue' (got 'lottery')")],
    "line_of_another_payer.toml": [
        ("line_of_another_payer.toml",
         "budget.lines.stations.programs: hydrogen.5.new_material_first_batch is paid by 市经济和信息化局, not 市城市管理委")],
    "stream_of_agent_kind.toml": [
        ("stream_of_agent_kind.toml", 'projects.streams."hydrogen.13.operating_subsidy": a unit_subsidy is paid by agents')],
    # Several problems: all reported, one line each, each naming the file that set the key.
    "two_problems.toml": [
        ("two_problems.toml", "horizon: last_year (=2030) must be >= first_year (=2031)"),
        ("two_problems.toml", "ensemble.seed: Input should be greater than or equal to 0 (got -1)"),
    ],
    # Three problems that three different checks find (the schema, the instruments, the stations'
    # districts): all reported at once.
    "three_problems.toml": [
        ("three_problems.toml", "horizon.last_yaer: unknown key (did you mean 'last_year'?)"),
        ("three_problems.toml", 'instruments."hydrogen.13.operating_subsidi": unknown instrument id'),
        ("three_problems.toml", 'instruments."hydrogen.13.operating_subsidy".eligibility.district: unknown district '
                                "'Daxin' (did you mean 'Daxing'?)"),
    ],
    # A bad value set in an extending file is blamed on that file, not on the file it extends ...
    "override_in_extending_file.toml": [
        ("override_in_extending_file.toml", 'instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg: Input should be greater than or equal to 0')],
    # ... and a bad value set in the extended file is blamed on the extended file.
    "extends_bad_base.toml": [
        ("base_bad_rate.toml", 'instruments."hydrogen.13.operating_subsidy".rate_cny_per_kg: Input should be greater than or equal to 0')],
}


def test_sim_validate_prints_every_problem_of_a_file_not_only_the_first(capsys):
    assert main(["validate", str(GALLERY / "three_problems.toml")]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert out == "" and len(lines) == 3
    assert ["unknown key" in lines[0], "unknown instrument id" in lines[1], "unknown district" in lines[2]] == [True] * 3


# Scenarios whose [firms] section reads a CSV of real firms (sim/scenario/firms_section.py).
FIRMS_CSV: dict[str, list[tuple[str, str]]] = {
    "firms_csv_key_missing.toml": [("firms_csv_key_missing.toml", "firms: source = 'csv' needs csv = \"file.csv\"")],
    "firms_csv_missing_file.toml": [("no_such_firms.csv", "file not found")],
    "firms_csv_negative_revenue.toml": [("firms_csv_negative_revenue.csv", "row 3, column 'revenue_cny': is -5; must be >= 0")],
}


# Scenarios whose [hydrogen.stations] read a CSV of real stations (sim/agents/stations.py).
STATIONS_CSV: dict[str, list[tuple[str, str]]] = {
    "stations_csv_duplicate_id.toml": [
        ("stations_csv_duplicate_id.csv", "row 5, column 'station_id': duplicate id 'Daxing-1' (first at row 2)")],
}
BROKEN |= STATIONS_CSV


def _firms_csv_supported() -> bool:
    try:
        from sim.scenario.firms_section import FirmsSection
    except ImportError:
        return False
    return "csv" in FirmsSection.model_fields


if _firms_csv_supported():
    BROKEN |= FIRMS_CSV


def test_every_gallery_scenario_is_in_the_table():
    files = {p.name for p in GALLERY.glob("*.toml")} - {"_base.toml", "base_sets_bad_override.toml", "base_bad_rate.toml"}
    assert files - set(FIRMS_CSV) == set(BROKEN) - set(FIRMS_CSV)
    assert set(FIRMS_CSV) <= files


def test_the_base_of_the_gallery_is_valid():
    assert load_scenario(GALLERY / "_base.toml").scenario.name == "gallery_base"
    assert load_scenario(GALLERY / "base_sets_bad_override.toml").policy.get("hydrogen.13.operating_subsidy")


def check_lines(lines: list[str], expected: list[tuple[str, str]]):
    assert len(lines) == len(expected), lines
    for line, (name, fragment) in zip(lines, expected, strict=False):
        head = line.split(": ", 1)[0]
        assert Path(head).name == name, line
        assert fragment in line, line


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_loader_message(name):
    with pytest.raises(ScenarioError) as info:
        load_scenario(GALLERY / name)
    check_lines(info.value.problems, BROKEN[name])
    assert str(info.value) == "\n".join(info.value.problems)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_sim_validate_message(name, capsys):
    assert main(["validate", str(GALLERY / name)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    check_lines(err.splitlines(), BROKEN[name])


def test_sim_validate_subprocess_reports_every_file_without_traceback():
    names = sorted(BROKEN)
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "validate", *(str(GALLERY / n) for n in names), str(GALLERY / "_base.toml")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == sum(len(v) for v in BROKEN.values())
    for name in names:
        for file, fragment in BROKEN[name]:
            assert any(fragment in line and Path(line.split(": ", 1)[0]).name == file for line in lines), fragment
    ok_line = [line for line in proc.stdout.splitlines() if "_base.toml: ok" in line]
    assert ok_line and ok_line[0].endswith("ok (gallery_base: 15 programmes in force, 2023-2024, 2 draws)")


# --- CSV input (the firm CSV's columns) -----------------------------------------------------

FIRM_COLUMNS = [
    CsvColumn("id", "id"),
    CsvColumn("sector", "choice", choices=("advanced_manufacturing", "software")),
    CsvColumn("revenue_cny", "float", min_value=0.0),
]

BROKEN_CSV = {
    "firms_missing_column.csv": ["column 'revenue_cny': missing (required: id, sector, revenue_cny)"],
    "firms_non_numeric.csv": ["row 3, column 'revenue_cny': is 'about ten million', not a number"],
    "firms_negative.csv": ["row 3, column 'revenue_cny': is -1; must be >= 0"],
    "firms_duplicate_id.csv": ["row 4, column 'id': duplicate id 'f1' (first at row 2)"],
    "firms_unknown_sector.csv": ["row 2, column 'sector': is 'farming'; allowed: advanced_manufacturing, software"],
}


@pytest.mark.parametrize("name", sorted(BROKEN_CSV))
def test_broken_csv_message(name):
    with pytest.raises(InputDataError) as info:
        read_csv_table(GALLERY / name, FIRM_COLUMNS)
    lines = str(info.value).splitlines()
    assert len(lines) == len(BROKEN_CSV[name])
    for line, fragment in zip(lines, BROKEN_CSV[name], strict=False):
        assert line.startswith(str(GALLERY / name) + ": ") and fragment in line, line


def test_every_gallery_csv_is_in_the_table():
    read_by_scenarios = {"firms_csv_negative_revenue.csv", "stations_csv_duplicate_id.csv"}
    assert {p.name for p in GALLERY.glob("*.csv")} - {"firms_good.csv"} - read_by_scenarios == set(BROKEN_CSV)


def test_good_csv_reads():
    table = read_csv_table(GALLERY / "firms_good.csv", FIRM_COLUMNS)
    assert list(table["id"]) == ["f1", "f2"]
    assert list(table["revenue_cny"]) == [25_000_000.0, 0.0]
