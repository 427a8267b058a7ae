"""The ``sim`` command (sim/cli.py): exit statuses, one-line messages, atomic outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import sim.runner.ensemble as ensemble
from sim.cli import main
from sim.errors import SimError
from sim.policy.gazette import load_gazette
from sim.runner.staging import MARKER

MINIMAL_FOR_CLI = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.toml"


def run_cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_run_writes_results(capsys, minimal_path, tmp_path):
    out = tmp_path / "res"
    code, stdout, err = run_cli(capsys, "run", minimal_path, "--draws", "2", "--out", out)
    assert code == 0, err
    assert (out / "results.nc").is_file() and (out / "summary.csv").is_file()
    assert stdout  # the summary table
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        assert ds.sizes["draw"] == 2 and ds.attrs["scenario"] == "minimal"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no staging folder left behind


def test_run_refuses_a_non_empty_folder_and_leaves_it_untouched(capsys, minimal_path, tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "run", minimal_path, "--draws", "1", "--out", out, "--quiet")
    assert code == 2
    assert one_line(err) == f"--out {out}: folder exists and is not empty; use --force to replace it"
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_run_force_replaces_the_folder(capsys, minimal_path, tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "summary.csv").write_text("old")
    # --force replaces only a folder sim wrote, whose marker lists everything in it
    (out / MARKER).write_text('{"written_by": "sim", "files": ["summary.csv"]}')
    code, _, err = run_cli(capsys, "run", minimal_path, "--draws", "1", "--out", out, "--force", "--quiet")
    assert code == 0, err
    assert (out / "summary.csv").read_text() != "old" and (out / "results.nc").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_run_force_refuses_a_sim_folder_holding_a_users_file(capsys, minimal_path, tmp_path):
    out = tmp_path / "res"
    assert run_cli(capsys, "run", minimal_path, "--draws", "1", "--out", out, "--quiet")[0] == 0
    (out / "notes.txt").write_text("mine")
    code, _, err = run_cli(capsys, "run", minimal_path, "--draws", "1", "--out", out, "--force", "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"--out {out}: holds notes.txt, which sim did not write" in err
    assert (out / "notes.txt").read_text() == "mine" and (out / "results.nc").is_file()


@pytest.mark.parametrize("error, code", [(SimError("boom: a component failed"), 2), (KeyboardInterrupt(), 130)])
def test_failing_run_leaves_no_output_folder(capsys, minimal_path, tmp_path, monkeypatch, error, code):
    calls = []
    real = ensemble.run_chunk

    def fail_on_second_chunk(loaded, draws):
        calls.append(draws)
        if len(calls) == 2:
            raise error
        return real(loaded, draws)

    monkeypatch.setattr(ensemble, "run_chunk", fail_on_second_chunk)
    out = tmp_path / "res"
    got, _, err = run_cli(capsys, "run", minimal_path, "--draws", "8", "--out", out, "--quiet")
    assert got == code
    assert len(calls) == 2  # failed mid-run, after a chunk had finished
    assert not out.exists()
    line = one_line(err)
    assert "boom" in line if code == 2 else "interrupted; no output folder was written" in line


def test_failing_run_keeps_an_existing_folder(capsys, minimal_path, tmp_path, monkeypatch):
    out = tmp_path / "res"
    out.mkdir()
    (out / "results.nc").write_text("previous")

    def fail(loaded, draws):
        raise SimError("boom")

    monkeypatch.setattr(ensemble, "run_chunk", fail)
    code, _, _ = run_cli(capsys, "run", minimal_path, "--draws", "2", "--out", out, "--force", "--quiet")
    assert code == 2
    assert (out / "results.nc").read_text() == "previous"


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--draws", "0"], "argument --draws: --draws must be a whole number in 1..10,000,000 (got '0')"),
        (["--draws", "abc"], "argument --draws: --draws must be a whole number in 1..10,000,000 (got 'abc')"),
        (["--workers", "0"], "argument --workers: --workers must be a whole number >= 1 (got '0')"),
        (["--seed", "-1"], "argument --seed: --seed must be a whole number in 0..2**63-1 (got '-1')"),
        (["--seed", "x"], "argument --seed: --seed must be a whole number >= 0 (got 'x')"),
        (["--colour", "red"], "unrecognized arguments: --colour red"),
    ],
)
def test_bad_flags_exit_2_with_one_line(capsys, minimal_path, tmp_path, flags, fragment):
    out = tmp_path / "res"
    code, _, err = run_cli(capsys, "run", minimal_path, "--out", out, *flags)
    assert code == 2
    assert fragment in one_line(err)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_bad_input_in_a_subprocess_has_no_traceback(minimal_path, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "run", str(minimal_path), "--draws", "0", "--out", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "sim run: argument --draws: --draws must be a whole number in 1..10,000,000 (got '0')"
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(tmp_path / "missing.toml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.strip() == f"{tmp_path / 'missing.toml'}: file not found"


def test_no_command_and_unknown_command(capsys):
    code, _, err = run_cli(capsys)
    assert code == 2 and "the following arguments are required: command" in one_line(err)
    code, _, err = run_cli(capsys, "fly")
    assert code == 2 and "invalid choice: 'fly'" in one_line(err)


def test_validate_ok(capsys, minimal_path):
    code, out, err = run_cli(capsys, "validate", minimal_path)
    assert code == 0 and err == ""
    assert out.startswith(f"{minimal_path}: ok (minimal:")


def test_policies_lists_every_instrument_with_its_citation(capsys):
    code, out, _ = run_cli(capsys, "policies")
    assert code == 0
    gazette = load_gazette()
    lines = out.splitlines()
    for ins in gazette.instruments.values():
        matching = [line for line in lines if line.strip().startswith(ins.id + "  ")]
        assert len(matching) == 1, ins.id
        assert f"[{ins.citation}]" in matching[0]


def test_policies_document_filter(capsys):
    code, out, _ = run_cli(capsys, "policies", "--document", "hydrogen")
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and "target" not in line.split()[1:2]]
    assert "hydrogen.13.operating_subsidy" in ids
    assert all(i.startswith("hydrogen.") for i in ids)
    assert len([i for i in ids if i in load_gazette().instruments]) == len(load_gazette().by_document("hydrogen"))
    assert out.splitlines()[0].startswith("hydrogen  京经信发〔2022〕63号")


def test_policies_unknown_document(capsys):
    code, out, err = run_cli(capsys, "policies", "--document", "nope")
    assert code == 2 and out == ""
    assert one_line(err) == ("--document: unknown document 'nope'; allowed: centers, cohesion, transfer, managers, "
                             "software, digital_human, hydrogen, scaleup")


def test_compare_writes_comparison_csv(capsys, minimal_path, write_scenario, tmp_path):
    variant = write_scenario(
        "variant.toml",
        """
        extends = "@minimal"
        name = "minimal_low_share"
        [instruments."software.6.data_centre_green_retrofit"]
        share_of_cap_paid = 0.5
        """,
    )
    out = tmp_path / "cmp"
    code, stdout, err = run_cli(capsys, "compare", minimal_path, variant, "--draws", "2", "--out", out)
    assert code == 0, err
    df = pd.read_csv(out / "comparison.csv")
    assert set(df["scenario"]) == {"minimal", "minimal_low_share"}
    row = df[(df["scenario"] == "minimal_low_share") & (df["quantity"] == "fiscal outlay, all programmes")].iloc[0]
    assert row["paired"] and row["diff_p50"] < 0.0
    assert f"comparison written to {out}/comparison.csv" in stdout


def test_compare_needs_two_and_distinct_names(capsys, minimal_path, tmp_path):
    code, _, err = run_cli(capsys, "compare", minimal_path, "--out", tmp_path / "c")
    assert code == 2 and "give at least two scenario files" in one_line(err)
    code, _, err = run_cli(capsys, "compare", minimal_path, minimal_path, "--draws", "1", "--out", tmp_path / "c")
    assert code == 2 and "scenario names repeat (minimal, minimal)" in one_line(err)
    assert not (tmp_path / "c").exists()


def test_failed_run_leaves_no_staging_folder(tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "sched"
    code = main(["run", str(MINIMAL_FOR_CLI), "--draws", "2", "--scheduler", "tcp://127.0.0.1:1", "--out", str(out)])
    assert code == 2
    assert not out.exists() and not (tmp_path / ".sched.partial").exists()


def test_unexpected_error_is_one_line_without_traceback(tmp_path, capsys, monkeypatch):
    from sim.cli import main

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("sim.runner.run.run_scenario", broken)
    code = main(["run", str(MINIMAL_FOR_CLI), "--draws", "2", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "internal error (ZeroDivisionError" in err[0]
    assert not (tmp_path / "x").exists() and not (tmp_path / ".x.partial").exists()


def _walk(parser):
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _walk(sub)


def test_every_option_and_argument_of_every_command_has_help():
    import argparse

    from sim.cli import build_parser

    missing = []
    parsers = list(_walk(build_parser()))
    assert len(parsers) > 10  # sim and its commands
    for parser in parsers:
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not (action.help or "").strip():
                missing.append(f"{parser.prog} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, missing


def _csv_scenario(tmp_path, extra: str = "") -> Path:
    root = Path(__file__).resolve().parents[1]
    path = tmp_path / "csv_firms.toml"
    path.write_text(f'extends = "{(root / "scenarios" / "minimal.toml").as_posix()}"\nname = "csv_firms"\n'
                    f'[firms]\nsource = "csv"\ncsv = "{(root / "scenarios" / "data" / "firms_example.csv").as_posix()}"\n'
                    + extra, encoding="utf-8")
    return path


def test_run_says_how_many_synthetic_entrants_joined_a_firms_csv(tmp_path, capsys):
    import xarray as xr

    code, stdout, _ = run_cli(capsys, "run", _csv_scenario(tmp_path), "--draws", "2", "--out", tmp_path / "a")
    assert code == 0
    ds = xr.open_dataset(tmp_path / "a" / "results.nc")
    births = float(ds["firm_births"].sum(["year", "sector"]).mean())
    assert births > 0  # minimal's entry_per_year (150 + 120 a year) applies to the CSV's sectors
    assert f"joined by {births:,.0f} synthetic entrants (mean over 2 draws, 2023-2026)" in stdout
    assert "synthetic_entrants = false turns them off" in stdout


def test_synthetic_entrants_false_keeps_only_the_csv_firms(tmp_path, capsys):
    import xarray as xr

    path = _csv_scenario(tmp_path, "synthetic_entrants = false\n")
    code, stdout, _ = run_cli(capsys, "run", path, "--draws", "2", "--out", tmp_path / "b")
    assert code == 0
    ds = xr.open_dataset(tmp_path / "b" / "results.nc")
    assert int(ds["firm_births"].sum()) == 0 and int(ds["firm_entries"].sum()) == 0
    assert "no synthetic entrants ([firms] synthetic_entrants = false)" in stdout
    # Alive firms only fall from the file's 10-odd firms.
    alive = ds["firms_alive"].sum("sector").values
    assert (alive <= 20).all() and (np.diff(alive, axis=1) <= 0).all()


def test_synthetic_entrants_true_changes_nothing_and_a_bad_value_is_refused(tmp_path, capsys, minimal_path):
    import sim

    explicit = tmp_path / "explicit.toml"
    explicit.write_text(f'extends = "{Path(minimal_path).as_posix()}"\nname = "explicit"\n'
                        "[firms]\nsynthetic_entrants = true\n", encoding="utf-8")
    a, b = sim.run(minimal_path, draws=2), sim.run(explicit, draws=2)
    np.testing.assert_array_equal(a["outlay"].values, b["outlay"].values)
    np.testing.assert_array_equal(a["firms_alive"].values, b["firms_alive"].values)
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{Path(minimal_path).as_posix()}"\nname = "bad"\n'
                   '[firms]\nsynthetic_entrants = "no"\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", bad)
    assert code == 2 and "synthetic_entrants" in err and len(err.strip().splitlines()) == 1
