"""Inputs are bounded: only regular files below a size limit are read, ``extends`` chains are
short, loading is linear in the number of keys, and messages are cut (issue 11, item 5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.errors import InputDataError, ScenarioError
from sim.input_files import MAX_CSV_BYTES, MAX_TOML_BYTES, read_input_file
from sim.messages import MAX_PROBLEM_LINES, MAX_VALUE_CHARS
from sim.scenario.csv_input import CsvColumn, read_csv_table
from sim.scenario.loader import MAX_EXTENDS_DEPTH, load_scenario

REPO = Path(__file__).resolve().parents[2]
MINIMAL = REPO / "scenarios" / "minimal.toml"
COLUMNS = [CsvColumn("id", "id"), CsvColumn("revenue_cny", "float", min_value=0.0)]


def _sim(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO)


def test_a_fifo_as_scenario_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    # Nobody ever writes to the FIFO: a reader that opened it blocking would hang past the timeout.
    proc = _sim("validate", str(fifo), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"{fifo}: is a FIFO (named pipe), expected a scenario file (.toml) (a regular file)"


def test_a_fifo_as_firms_csv_is_refused_at_once(tmp_path):
    fifo = tmp_path / "firms.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputDataError, match=r"firms\.csv: is a FIFO \(named pipe\), expected a CSV file"):
        read_csv_table(fifo, COLUMNS)


def test_a_device_is_refused_without_reading_it():
    # /dev/zero never ends: reading it would fill the memory.
    with pytest.raises(ScenarioError, match=r"^/dev/zero: is a character device, expected a scenario file"):
        load_scenario("/dev/zero")
    with pytest.raises(InputDataError, match=r"^/dev/zero: is a character device"):
        read_csv_table("/dev/zero", COLUMNS)


def test_a_folder_is_refused_as_scenario_csv_and_document(tmp_path):
    with pytest.raises(ScenarioError, match="is a folder, expected a scenario file"):
        load_scenario(tmp_path)
    with pytest.raises(InputDataError, match="is a folder, expected a CSV file"):
        read_csv_table(tmp_path, COLUMNS)
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'extends = "{MINIMAL}"\n[policy]\ndocuments = ["."]\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"policy\.documents: .*: is a folder, expected a policy document"):
        load_scenario(scenario)


def test_an_extends_naming_a_fifo_is_refused_by_the_reader_not_reported_missing(tmp_path):
    os.mkfifo(tmp_path / "base.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"base\.toml: is a FIFO"):
        load_scenario(child)


def test_files_above_the_limit_are_refused_by_size_before_reading(tmp_path):
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:  # sparse: the size is there, the bytes are not written
        fh.truncate(MAX_TOML_BYTES + 1)
    with pytest.raises(ScenarioError) as info:
        load_scenario(big)
    assert str(info.value) == f"{big}: {MAX_TOML_BYTES + 1:,} bytes, above the limit of {MAX_TOML_BYTES:,} bytes " \
                              "for a scenario file (.toml)"
    csv = tmp_path / "big.csv"
    with open(csv, "wb") as fh:
        fh.truncate(MAX_CSV_BYTES + 1)
    with pytest.raises(InputDataError, match=f"above the limit of {MAX_CSV_BYTES:,} bytes for a CSV file"):
        read_csv_table(csv, COLUMNS)


def test_a_file_at_the_limit_is_read_whole(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"x" * 1000)
    assert read_input_file(path, "text file", 1000) == b"x" * 1000
    with pytest.raises(InputDataError, match="1,000 bytes, above the limit of 999 bytes"):
        read_input_file(path, "text file", 999)


def test_extends_chain_is_bounded(tmp_path):
    # f0 extends f1 extends ... extends the minimal scenario: MAX_EXTENDS_DEPTH files are fine, one more is not.
    def chain(n: int) -> Path:
        folder = tmp_path / f"chain{n}"
        folder.mkdir()
        for i in range(n - 1):
            (folder / f"f{i}.toml").write_text(f'extends = "f{i + 1}.toml"\n', encoding="utf-8")
        (folder / f"f{n - 1}.toml").write_text(f'extends = "{MINIMAL}"\n', encoding="utf-8")
        return folder / "f0.toml"

    # n files of the chain plus minimal.toml itself.
    load_scenario(chain(MAX_EXTENDS_DEPTH - 1))
    with pytest.raises(ScenarioError) as info:
        load_scenario(chain(MAX_EXTENDS_DEPTH))
    (line,) = info.value.problems
    assert f"extends: 'minimal.toml' would make a chain of more than {MAX_EXTENDS_DEPTH} files" in line
    assert line.endswith(f"allowed: at most {MAX_EXTENDS_DEPTH}")


def test_cycles_are_still_refused(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="cycle of includes a.toml -> b.toml -> a.toml"):
        load_scenario(tmp_path / "a.toml")


def test_20000_unknown_keys_give_50_lines_and_a_count(tmp_path):
    path = tmp_path / "many.toml"
    path.write_text(f'extends = "{MINIMAL}"\n' + "".join(f"k{i} = 1\n" for i in range(20_000)), encoding="utf-8")
    proc = _sim("validate", str(path), timeout=120)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2
    assert len(lines) == MAX_PROBLEM_LINES + 1
    assert lines[0].startswith(f"{path}: k0: unknown key; allowed: name, description")
    assert lines[-1] == f"… and {20_000 - MAX_PROBLEM_LINES:,} more problems"
    assert len(proc.stderr) < 20_000  # a screenful, not 4 MB


def test_20000_unknown_keys_in_a_nested_table_and_an_extended_file(tmp_path):
    # Unknown keys set by a base file: the provenance of each key is recorded and replaced in
    # linear time, and the lines still name the file that set the key.
    base = tmp_path / "base.toml"
    base.write_text(f'extends = "{MINIMAL}"\n[firms.growth]\n' + "".join(f"k{i} = 1\n" for i in range(20_000)),
                    encoding="utf-8")
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\n[firms.growth]\n' + "".join(f"k{i} = 2\n" for i in range(10_000)),
                     encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    lines = str(info.value).splitlines()
    assert len(lines) == MAX_PROBLEM_LINES + 1 and lines[-1] == f"… and {20_000 - MAX_PROBLEM_LINES:,} more problems"
    assert lines[0].startswith(f"{child}: firms.growth.k0: unknown key")
    assert info.value.omitted == 20_000 - MAX_PROBLEM_LINES


def test_a_10_mb_value_and_a_long_key_are_cut_in_the_message(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text(f'extends = "{MINIMAL}"\n[horizon]\nfirst_year = "{"x" * 2_000_000}"\n'
                    f'[firms.growth]\n{"y" * 5000} = 1\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    first, second = info.value.problems
    assert "horizon.first_year: Input should be a valid integer (got 'xxx" in first
    got = first[first.index("(got ") + 5: -1]
    assert len(got) == MAX_VALUE_CHARS and got.endswith("…")
    assert f"firms.growth.{'y' * (MAX_VALUE_CHARS - 1)}…: unknown key" in second
    assert len(second) < 400


def test_a_csv_that_is_not_this_table_is_reported_without_echoing_its_first_line(tmp_path):
    secret = tmp_path / "secrets.csv"
    secret.write_text("AWS_SECRET_ACCESS_KEY=abcd1234,password=hunter2\n1,2\n", encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        read_csv_table(secret, COLUMNS)
    message = str(info.value)
    assert "hunter2" not in message and "AWS_SECRET" not in message
    assert message == (f"{secret}: the first row names none of the expected columns, so it is not the header of this "
                       "table (2 cells); expected a header row with id, revenue_cny")


def test_unknown_csv_columns_are_listed_by_name_cut_and_counted(tmp_path):
    path = tmp_path / "f.csv"
    header = ["id", "revenue_cny", "z" * 500] + [f"extra{i}" for i in range(30)]
    path.write_text(",".join(header) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        read_csv_table(path, COLUMNS)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: column '{'z' * 39}…': unknown; allowed: id, revenue_cny"
    assert len(lines) == 11 and lines[-1] == f"{path}: … and 21 more unknown columns"


def test_a_long_bad_cell_is_cut(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(f"id,revenue_cny\nf1,{'9' * 100_000}x\n", encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        read_csv_table(path, COLUMNS)
    (line,) = str(info.value).splitlines()
    assert line.startswith(f"{path}: row 2, column 'revenue_cny': is '999") and line.endswith("…', not a number")
    assert len(line) < len(str(path)) + 150
