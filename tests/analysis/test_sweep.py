"""`sim sweep`: values, keys, crossings by hand, and small end-to-end runs of the command."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.sweep import (
    MAX_VALUES,
    crossing_table,
    default_outputs,
    find_crossing,
    load_values,
    parse_values,
    resolve_key,
    resolve_outputs,
    run_sweep,
    split_outputs,
)
from sim.cli import main
from sim.errors import SimError

REPO = Path(__file__).resolve().parents[2]
GRANT = "software.6.data_centre_green_retrofit"

# Minimal without firms and with one project stream whose grant is a share of each project with
# no binding cap: the programme's outlay is exactly proportional to the share, draw by draw.
PROPORTIONAL = f"""
extends = "@minimal"
name = "sweep_small"
[policy]
in_force = ["{GRANT}"]
[firms]
enabled = false
[projects.streams."hydrogen.6.first_of_kind_domestic"]
arrivals_per_year = 0
[instruments."{GRANT}"]
cap_per_project_cny = 1e12
"""


# ------------------------------------------------------------------------------------ values


def test_values_as_a_list_keep_their_order():
    assert parse_values("3, 5,4") == [3.0, 5.0, 4.0]
    assert parse_values("-1,0.5") == [-1.0, 0.5]


def test_values_as_a_range_include_both_ends():
    assert parse_values("3:8:6") == [3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    # Rounded to 12 significant digits: 0.30000000000000004 is run and shown as 0.3.
    assert parse_values("0.1:0.5:5") == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_values_may_descend():
    assert parse_values("40:20:5") == [40.0, 35.0, 30.0, 25.0, 20.0]
    assert parse_values("40,30,20") == [40.0, 30.0, 20.0]


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("   ", "empty"),
    ("5", "at least 2 values"),
    ("1,,2", "empty item"),
    ("1,a", "'a' is not a number"),
    ("1,nan", "finite"),
    ("1,inf", "finite"),
    ("1:2:1", "N in LOW:HIGH:N must be a whole number in 2..50"),
    ("1:2:x", "N in LOW:HIGH:N"),
    ("1:2:2.5", "N in LOW:HIGH:N"),
    ("0:1:51", "2..50"),
    ("1:2", "three parts"),
    ("a:2:3", "LOW 'a' is not a number"),
    ("2:2:3", "LOW and HIGH are equal"),
    ("1,2,1", "1 is given twice"),
    (",".join(str(i) for i in range(MAX_VALUES + 1)), "at most 50"),
])
def test_bad_values_are_one_line(text, fragment):
    with pytest.raises(SimError) as info:
        parse_values(text)
    assert fragment in str(info.value) and len(str(info.value).splitlines()) == 1


def test_outputs_split_on_commas_but_keep_headline_names_whole():
    assert split_outputs(None) is None
    assert split_outputs(["fiscal outlay, all programmes,outlay:hydrogen.13.operating_subsidy"]) == [
        "fiscal outlay, all programmes", "outlay:hydrogen.13.operating_subsidy"]
    assert split_outputs(["a,b", "c"]) == ["a", "b", "c"]
    assert split_outputs(["outlay:program=hydrogen.*,year=2024"]) == ["outlay:program=hydrogen.*,year=2024"]
    with pytest.raises(SimError, match="empty output"):
        split_outputs(["a,,b"])


# ------------------------------------------------------------------------------------ crossings


def test_crossing_brackets_and_interpolates():
    c = find_crossing([1.0, 2.0, 3.0, 4.0], [0.0, 10.0, 30.0, 50.0], 20.0)
    assert (c.start_above, c.index, c.low, c.high, c.rising) == (False, 2, 2.0, 3.0, True)
    assert c.at == pytest.approx(2.5)


def test_crossing_follows_the_order_given_when_values_descend():
    # An ex-works cost swept from 40 down to 20: the output rises as the cost falls.
    c = find_crossing([40.0, 35.0, 30.0, 25.0, 20.0], [0.0, 0.0, 4.0, 12.0, 20.0], 10.0)
    assert (c.low, c.high, c.index) == (30.0, 25.0, 3)
    assert c.at == pytest.approx(30.0 - 5.0 * 6.0 / 8.0)  # 26.25, between 30 and 25


def test_never_crosses_and_already_above():
    never = find_crossing([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], 5.0)
    assert (never.crosses, never.start_above, never.at, never.low) == (False, False, None, None)
    above = find_crossing([1.0, 2.0], [6.0, 7.0], 5.0)
    assert (above.crosses, above.start_above) == (False, True)
    falls = find_crossing([1.0, 2.0, 3.0], [9.0, 7.0, 3.0], 5.0)
    assert (falls.rising, falls.low, falls.high) == (False, 2.0, 3.0)
    assert falls.at == pytest.approx(2.5)
    # "Above" is strict: reaching the level is not crossing it.
    assert not find_crossing([1.0, 2.0], [0.0, 5.0], 5.0).crosses


def test_nan_statistics_are_skipped():
    c = find_crossing([1.0, 2.0, 3.0], [0.0, math.nan, 10.0], 5.0)
    assert (c.low, c.high, c.at) == (1.0, 3.0, pytest.approx(2.0))
    assert find_crossing([1.0, 2.0], [math.nan, math.nan], 0.0).start_above is None


def test_crossing_table_starts_to_pay_and_level():
    values = [5.0, 10.0, 15.0, 20.0]
    table = pd.DataFrame({"output": "x", "value": values, "mean": [0.0, 0.0, 20.0, 60.0],
                          "p_positive": [0.0, 0.0, 0.25, 1.0]})
    rows = crossing_table(table, values, level=40.0).set_index("rule")
    starts = rows.loc["starts to pay (P(>0) > 0)"]
    assert (starts["low"], starts["high"], starts["crosses"]) == (10.0, 15.0, True)
    # Linearly, P(>0) leaves 0 at the last value where it is 0: not worth a number.
    assert pd.isna(starts["interpolated"])
    assert "first at 15, between 10 and 15" in starts["text"]
    most = rows.loc["pays in most draws (P(>0) > 0.5)"]
    assert (most["low"], most["high"]) == (15.0, 20.0)
    assert most["interpolated"] == pytest.approx(15.0 + 5.0 * 0.25 / 0.75)
    mean = rows.loc["mean above 40"]
    assert mean["interpolated"] == pytest.approx(17.5)
    never = crossing_table(table, values, level=100.0).set_index("rule").loc["mean above 100"]
    assert not never["crosses"] and "never crosses within the values" in never["text"]


# ------------------------------------------------------------------------------------ keys


def test_instrument_keys_with_or_without_quotes(minimal):
    quoted = resolve_key(minimal, f'instruments."{GRANT}".share')
    bare = resolve_key(minimal, f"instruments.{GRANT}.share")
    assert quoted.path == bare.path == ("instruments", GRANT, "share")
    assert quoted.current == 0.25
    assert bare.override(0.5) == {"instruments": {GRANT: {"share": 0.5}}}
    assert bare.shown == f'instruments."{GRANT}".share'


def test_behavioural_keys_distributions_and_ints(minimal):
    key = resolve_key(minimal, 'projects.streams."hydrogen.6.first_of_kind_domestic".arrivals_per_year')
    assert key.current["dist"] == "uniform"
    count = resolve_key(minimal, "firms.population.software_it.count")
    assert count.typed(3.0) == 3 and isinstance(count.typed(3.0), int)


@pytest.mark.parametrize("key, fragment", [
    ("firms.behaviour.software_it.drfit", "did you mean 'drift'?"),
    ("instruments.hydrogen.13.operating_subsidyy.rate_cny_per_kg", "did you mean 'hydrogen.13.operating_subsidy'?"),
    ("hydrogen.economics.capex_ref_cny", "hydrogen: not in this scenario"),
    ("firms.behaviour.software_it", "is a table, not a value"),
    ('instruments."centers.art25.milestone_funding".matching_min', "is not in force"),
    ('instruments."hydrogen.13', "unclosed quote"),
    ("policy.in_force", "is a list"),
])
def test_bad_keys_are_one_line(minimal, key, fragment):
    with pytest.raises(SimError) as info:
        resolve_key(minimal, key)
    assert fragment in str(info.value) and len(str(info.value).splitlines()) == 1


def test_a_distribution_replaced_by_a_number_is_fixed(minimal_path, minimal):
    key = resolve_key(minimal, 'projects.streams."hydrogen.6.first_of_kind_domestic".arrivals_per_year')
    low, high = load_values(minimal_path, key, [1.0, 3.0])
    streams = [lv.scenario.projects.streams["hydrogen.6.first_of_kind_domestic"] for lv in (low, high)]
    assert [s.arrivals_per_year for s in streams] == [1.0, 3.0]


def test_default_outputs_pick_the_per_kg_station_subsidy_by_kind(write_scenario, minimal):
    h2 = sim.load_scenario(write_scenario("h2.toml", 'extends = "@minimal"\nname = "h2"\n[hydrogen]\nenabled = true\n'))
    assert default_outputs(h2) == ["fiscal outlay, all programmes", "outlay:hydrogen.13.operating_subsidy",
                                   "stations operating, last year", "fuel-cell fleet, last year"]
    # Without stations, the station outputs are left out of the defaults.
    assert [o.label for o in resolve_outputs(minimal, None)] == ["fiscal outlay, all programmes"]


# ------------------------------------------------------------------------------------ end to end


def test_a_share_sweep_scales_the_outlay_exactly_draw_by_draw(write_scenario):
    path = write_scenario("small.toml", PROPORTIONAL)
    base = sim.load_scenario(path)
    key = resolve_key(base, f"instruments.{GRANT}.share")
    outputs = resolve_outputs(base, [f"outlay:{GRANT}"])
    per_value, attrs = run_sweep(load_values(path, key, [0.1, 0.2, 0.4]), outputs, draws=4, seed=3)
    first, double, four = (v[f"outlay:{GRANT}"] for v in per_value)
    assert attrs["seed"] == 3 and first.shape == (4,) and (first > 0).all()
    np.testing.assert_allclose(double, 2 * first, rtol=1e-12)
    np.testing.assert_allclose(four, 4 * first, rtol=1e-12)


def test_sweep_command_writes_the_folder(write_scenario, tmp_path, capsys):
    path = write_scenario("small.toml", PROPORTIONAL)
    out = tmp_path / "sweep"
    argv = ["sweep", str(path), "--key", f"instruments.{GRANT}.share", "--values", "0.1,0.2,0.4", "--draws", "4",
            "--outputs", f"outlay:{GRANT},fiscal outlay, all programmes", "--level", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert f"outlay:{GRANT} (million CNY), 4 draws" in printed and "mean above 1:" in printed
    assert {p.name for p in out.iterdir()} == {"sweep.csv", "crossings.csv", "sweep.png", "sweep.toml", "scenarios",
                                              "sim-output.json"}
    df = pd.read_csv(out / "sweep.csv")
    assert list(df.columns) == ["key", "value", "output", "units", "draws", "mean", "p5", "p50", "p95", "p_positive",
                                "diff_mean", "diff_p5", "diff_p50", "diff_p95"]
    assert len(df) == 6 and set(df["draws"]) == {4}
    grant = df[df["output"] == f"outlay:{GRANT}"].set_index("value")
    for stat in ("mean", "p5", "p50", "p95"):
        assert grant.loc[0.2, stat] == pytest.approx(2 * grant.loc[0.1, stat], rel=1e-12)
        assert grant.loc[0.4, stat] == pytest.approx(4 * grant.loc[0.1, stat], rel=1e-12)
    # Paired: the difference of every draw is the first value's outlay again (and 3 times it).
    assert grant.loc[0.2, "diff_p5"] == pytest.approx(grant.loc[0.1, "p5"], rel=1e-12)
    assert grant.loc[0.4, "diff_mean"] == pytest.approx(3 * grant.loc[0.1, "mean"], rel=1e-12)
    assert (grant.loc[0.1, ["diff_mean", "diff_p5", "diff_p95"]] == 0).all()
    # The whole outlay is this programme's (the only one in force).
    total = df[df["output"] == "fiscal outlay, all programmes"].set_index("value")
    assert total["mean"].to_numpy() == pytest.approx(grant["mean"].to_numpy(), rel=1e-12)
    recorded = tomllib.loads((out / "sweep.toml").read_text(encoding="utf-8"))
    assert recorded["values"] == [0.1, 0.2, 0.4] and recorded["draws"] == 4 and recorded["seed"] == 7
    assert recorded["key"] == f'instruments."{GRANT}".share' and recorded["scenario"] == str(path.resolve())
    assert recorded["scenario_sha256"] == sim.load_scenario(path).sha256
    resolved = sorted((out / "scenarios").iterdir())
    assert [p.name for p in resolved] == ["00_0.1.resolved.toml", "01_0.2.resolved.toml", "02_0.4.resolved.toml"]
    assert tomllib.loads(resolved[1].read_text(encoding="utf-8"))["instruments"][GRANT]["share"] == 0.2
    crossings = pd.read_csv(out / "crossings.csv")
    assert set(crossings["rule"]) == {"starts to pay (P(>0) > 0)", "pays in most draws (P(>0) > 0.5)", "mean above 1"}
    # An existing folder is refused without --force, and replaced with it.
    assert main(argv) == 2
    assert "use --force" in capsys.readouterr().err
    assert main(argv[:-3] + ["--draws", "2", "--seed", "5", "--out", str(out), "--force", "--quiet"]) == 0
    assert set(pd.read_csv(out / "sweep.csv")["draws"]) == {2}
    assert tomllib.loads((out / "sweep.toml").read_text(encoding="utf-8"))["seed"] == 5
    rerun = tomllib.loads((out / "scenarios" / "00_0.1.resolved.toml").read_text(encoding="utf-8"))
    assert rerun["ensemble"] == {"draws": 2, "seed": 5}


@pytest.mark.parametrize("flags, fragment", [
    (["--key", "firms.behaviour.software_it.drfit", "--values", "1,2"], "did you mean 'drift'?"),
    (["--key", f"instruments.{GRANT}.share", "--values", "0.1,1.5"],
     f'--key instruments."{GRANT}".share = 1.5: instruments."{GRANT}".share: '),
    (["--key", f"instruments.{GRANT}.share", "--values", ""], "--values: empty"),
    (["--key", f"instruments.{GRANT}.share", "--values", "0.1,x"], "not a number"),
    (["--key", f"instruments.{GRANT}.share", "--values", "0:1:1"], "2..50"),
    (["--key", f"instruments.{GRANT}.share", "--values", "0.1,0.2", "--outputs", "nosuch"], "--outputs nosuch"),
    (["--key", f"instruments.{GRANT}.share", "--values", "0.1,0.2", "--years", "1990-1991"], "--years"),
    (["--key", f"instruments.{GRANT}.share", "--values", "0.1,0.2", "--level", "nan"], "--level"),
    (["--values", "0.1,0.2"], "--key"),
])
def test_refusals_are_one_line_exit_2_and_leave_nothing(minimal_path, tmp_path, capsys, flags, fragment):
    out = tmp_path / "out"
    assert main(["sweep", str(minimal_path), *flags, "--draws", "2", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert list(tmp_path.iterdir()) == []


def test_readme_example_names_a_key_of_the_baseline():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.search(r"sim sweep scenarios/baseline\.toml --key (\S+) --values (\S+)", readme)
    assert example is not None
    baseline = sim.load_scenario(REPO / "scenarios" / "baseline.toml")
    assert resolve_key(baseline, example.group(1)).current is not None
    assert len(parse_values(example.group(2))) >= 2
