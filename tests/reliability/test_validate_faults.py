"""Issue 24, item 6: values and input files that made a run fail inside are refused with one line, exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _reliability import one_line_refusal

from sim.cli import main

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml"


def _scenario(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{MINIMAL.as_posix()}"\n{body}', encoding="utf-8")
    return path




@pytest.mark.parametrize("value", ["0", "0.0", '{ dist = "uniform", low = 0, high = 0.5 }'])
def test_availability_zero_is_refused_by_validate(tmp_path, capsys, value):
    path = _scenario(tmp_path, f"[hydrogen.economics]\navailability = {value}\n")
    one_line_refusal(capsys, ["validate", path], "hydrogen.economics.availability", "(0, 1]")


def test_a_scenario_with_a_utf8_bom_is_read(tmp_path, capsys):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + f'extends = "{MINIMAL.as_posix()}"\nname = "bom"\n'.encode())
    assert main(["validate", str(path)]) == 0
    assert "ok (bom:" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["[" * 100_000 + "]" * 100_000, "{b = " * 5_000 + "1" + "}" * 5_000,
                                   "[" * 65 + "]" * 65])
def test_deep_nesting_is_one_line(tmp_path, capsys, value):
    path = _scenario(tmp_path, f"a = {value}\n")
    one_line_refusal(capsys, ["validate", path], str(path), "nested too deep", "64")


def test_a_symlink_loop_given_as_csv_is_one_line(tmp_path, capsys):
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    path = _scenario(tmp_path, f'[firms]\nsource = "csv"\ncsv = "{(tmp_path / "a.csv").as_posix()}"\n')
    one_line_refusal(capsys, ["validate", path], "a.csv", "symbolic links")


@pytest.mark.parametrize("size", [140_000, 1 << 20])
def test_a_huge_csv_field_is_one_line(tmp_path, capsys, size):
    csv = tmp_path / "firms.csv"
    csv.write_text("firm_id,sector,revenue_cny,age_years,srdi,little_giant_central_funds,incubated,"
                   "fixed_asset_investment_cny,first_above_size_year,first_above_100m_year\n"
                   + "A" * size + ",advanced_manufacturing,18000000,6,0,0,0,0,0,0\n", encoding="utf-8")
    path = _scenario(tmp_path, f'[firms]\nsource = "csv"\ncsv = "{csv.as_posix()}"\n')
    one_line_refusal(capsys, ["validate", path], "firms.csv", "row 2", "longer than 131,072 characters")


def test_an_operating_station_opened_after_the_first_year_is_refused(tmp_path, capsys):
    csv = tmp_path / "stations.csv"
    csv.write_text("station_id,district,capacity_kg_per_12h,status,opened_year\n"
                   "S1,Daxing,500,operating,2999\nS2,Daxing,500,operating,2020\n"
                   "S3,Daxing,500,under_construction,2999\n", encoding="utf-8")
    path = _scenario(tmp_path, f'[hydrogen.stations]\nstations_csv = "{csv.as_posix()}"\n')
    one_line_refusal(capsys, ["validate", path], "stations.csv", "row 2", "opened_year", "2999")


def test_hindcast_with_an_empty_observations_file_is_one_line(tmp_path, capsys):
    observed = tmp_path / "observed.toml"
    observed.write_text("", encoding="utf-8")
    one_line_refusal(capsys, ["hindcast", MINIMAL, "--draws", "2", "--observed", observed, "--out", tmp_path / "h"],
                      "observed.toml", "no observations")
    assert not (tmp_path / "h").exists()


def test_validate_of_sixty_bad_files_respects_the_cap_and_counts_the_rest(tmp_path, capsys):
    paths = []
    for i in range(60):
        p = tmp_path / f"s{i:02d}.toml"
        p.write_text("name = 1\n", encoding="utf-8")
        paths.append(p)
    assert main(["validate", *map(str, paths)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 51
    assert lines[-1] == "… and 10 more problems (10 more files with problems not shown)"


def test_validate_of_a_file_with_many_problems_keeps_its_own_count(tmp_path, capsys):
    many = tmp_path / "many.toml"
    many.write_text("".join(f"k{i} = 1\n" for i in range(60)), encoding="utf-8")
    one = tmp_path / "one.toml"
    one.write_text("name = 1\n", encoding="utf-8")
    assert main(["validate", str(one), str(many), str(one)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    # 1 + 49 of the 60 listed, then the rest of many.toml (11) and the last one.toml (1) counted.
    assert len(lines) == 51 and lines[-1] == "… and 12 more problems (1 more file with problems not shown)"


def test_sensitivity_interrupted_does_not_advise_a_flag_it_lacks(monkeypatch, capsys):
    import sim.cli as cli

    def terminated(args):
        raise cli._Terminated

    monkeypatch.setitem(cli._COMMANDS, "sensitivity", terminated)
    monkeypatch.setitem(cli._COMMANDS, "run", terminated)
    assert main(["sensitivity", str(MINIMAL)]) == 128 + 15
    err = capsys.readouterr().err
    assert err.startswith("terminated") and "--resume" not in err
    assert main(["run", str(MINIMAL)]) == 128 + 15
    assert "rerun with --resume" in capsys.readouterr().err
