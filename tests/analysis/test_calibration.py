"""`sim calibrate` recovers a parameter from a target it generated, and writes a usable scenario."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import sim
from sim.analysis.calibration import load_calibration
from sim.cli import main
from sim.errors import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _base(tmp_path: Path) -> Path:
    path = tmp_path / "centres.toml"
    path.write_text(textwrap.dedent("""
        name = "centres_base"
        [horizon]
        first_year = 2023
        last_year = 2026
        [ensemble]
        draws = 2
        seed = 3
        [policy]
        in_force = ["centers.*"]
        [centres]
        count = 2
        first_start_year = 2023
        starts_per_year = 2
        city_funding_cny = 40_000_000
        matching_ratio = 0.2
        cycle_years = 4
        pass_probability = 1.0
    """))
    return path


def test_calibration_recovers_city_funding_from_observed_outlay(tmp_path):
    _base(tmp_path)
    # Two centres always passing: 2 x 4 stages of funding/4 over 2023-2026; observed 2023 outlay
    # of 30,000,000 means funding of 60,000,000 per centre.
    config = tmp_path / "fit.toml"
    config.write_text(textwrap.dedent("""
        scenario = "centres.toml"
        draws = 2
        method = "nelder-mead"
        max_evaluations = 60
        output = "fitted.toml"
        fit_until_year = 2026
        [[parameter]]
        path = "centres.city_funding_cny"
        low = 10_000_000
        high = 200_000_000
        start = 40_000_000
        [[target]]
        variable = "outlay"
        select = { program = "centers.art25.milestone_funding" }
        year = 2023
        value = 30_000_000
        source = "synthetic observation for the test"
    """))
    assert main(["calibrate", str(config), "--quiet"]) == 0
    fitted = tmp_path / "fitted.toml"
    ds = sim.run(fitted)
    outlay_2023 = float(ds["outlay"].sel(program="centers.art25.milestone_funding", year=2023).mean())
    assert outlay_2023 == pytest.approx(30_000_000, rel=1e-3)
    assert "extends = \"centres.toml\"" in fitted.read_text()
    # The file is refused the second time unless --force.
    assert main(["calibrate", str(config), "--quiet"]) == 2


def test_bad_calibration_config_names_file_and_key(tmp_path):
    _base(tmp_path)
    config = tmp_path / "bad.toml"
    config.write_text('scenario = "centres.toml"\n[[parameter]]\npath = "centres.city_funding_cny"\nlow = 5\nhigh = 1\n'
                      '[[target]]\nvariable = "outlay"\nvalue = 1\nsource = "x"\n')
    from sim.analysis.calibration import load_calibration

    with pytest.raises(ScenarioError, match=r"bad.toml: parameter.0: .*need low < high"):
        load_calibration(config)


def test_targets_can_name_an_entry_of_the_observed_file(tmp_path):
    _base(tmp_path)
    (tmp_path / "observed.toml").write_text(textwrap.dedent('''
        [outlay_2023]
        quantity = "centre funding paid"
        year = 2023
        low = 29_000_000.0
        high = 31_000_000.0
        unit = "CNY"
        source = "test"
        source_short = "test"
        scope = "synthetic"
        confidence = "high"
        role = "calibration"
        variable = "outlay"
    '''))
    config = tmp_path / "fit.toml"
    body = ('scenario = "centres.toml"\nfit_until_year = 2023\n[[parameter]]\npath = "centres.city_funding_cny"\nlow = 1e7\nhigh = 2e8\n'
            '[[target]]\nvariable = "outlay"\nyear = 2023\nobserved = "{ref}"\n')
    config.write_text(body.format(ref="outlay_2023"))
    from sim.analysis.calibration import load_calibration

    loaded, _ = load_calibration(config)
    # The midpoint of the observed range is the target.
    assert loaded.target[0].value == 30_000_000.0 and loaded.target[0].source == "test"
    config.write_text(body.format(ref="outlay_2032"))
    with pytest.raises(ScenarioError, match=r"target\[0\].observed: 'outlay_2032' is not an entry"):
        load_calibration(config)


@pytest.mark.parametrize("target,fragment", [
    ('variable = "outlay"\nselect = { program = "nosuch" }', "target[0].select.program: 'nosuch' is not a program"),
    ('variable = "outlay"\nyear = 1990', "target[0].year: 1990 is outside the horizon 2023..2026"),
    ('variable = "program_citation"', "target[0].variable: 'program_citation' is not a forecast"),
    ('variable = "nosuch"', "target[0].variable: 'nosuch' is not in the results"),
])
def test_calibration_targets_that_name_no_result_are_one_line_exit_2(tmp_path, capsys, target, fragment):
    _base(tmp_path)
    config = tmp_path / "fit.toml"
    config.write_text('scenario = "centres.toml"\ndraws = 1\nmax_evaluations = 2\nfit_until_year = 2030\n[[parameter]]\n'
                      'path = "centres.city_funding_cny"\nlow = 1e7\nhigh = 2e8\n[[target]]\n'
                      f'{target}\nvalue = 1.0\nsource = "test"\n')
    assert main(["calibrate", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err


def _joint_config(tmp_path: Path, write: str = "posterior") -> Path:
    _base(tmp_path)
    config = tmp_path / "joint.toml"
    config.write_text(textwrap.dedent(f"""
        scenario = "centres.toml"
        draws = 2
        method = "least-squares"
        max_evaluations = 40
        output = "joint_fitted.toml"
        fit_until_year = 2026
        write = "{write}"
        [[parameter]]
        path = "centres.city_funding_cny"
        low = 10_000_000
        high = 200_000_000
        start = 40_000_000
        # The funding is paid before any review: the pass probability moves no 2023 target.
        [[parameter]]
        path = "centres.pass_probability"
        low = 0.0
        high = 1.0
        start = 1.0
        [[target]]
        variable = "outlay"
        select = {{ program = "centers.art25.milestone_funding" }}
        year = 2023
        value = 30_000_000
        sd = 1_000_000
        source = "synthetic observation for the test"
    """))
    return config


def test_joint_least_squares_fit_reports_what_the_targets_identify(tmp_path):
    from sim.analysis.calibration import calibrate, identification_rows, load_calibration

    config, scenario = load_calibration(_joint_config(tmp_path))
    result = calibrate(config, scenario, "joint.toml")
    assert result.values["centres.city_funding_cny"] == pytest.approx(60_000_000, rel=2e-3)
    assert result.simulated[0] == pytest.approx(30_000_000, rel=2e-3)
    # Outlay in 2023 = funding / 2 (two centres, a quarter each): over the 190 M range it moves
    # 95 M, i.e. 95 sds of 1 M; the pass probability moves it not at all.
    sens = dict(zip(["funding", "pass"], result.sensitivity[0], strict=True))
    assert sens["funding"] == pytest.approx(95.0, rel=1e-3)
    assert sens["pass"] == 0.0
    assert result.not_identified == ["centres.pass_probability"]
    # The unconstrained parameter keeps the prior sd of a uniform over its range, 1/sqrt(12).
    assert result.posterior_sd["centres.pass_probability"] == pytest.approx(12 ** -0.5)
    # The identified one: 1 M of observation sd is 2 M of funding.
    assert result.posterior_sd["centres.city_funding_cny"] == pytest.approx(2_000_000, rel=0.01)
    rows = identification_rows(result, config)
    assert [r["identified"] for r in rows] == [True, False]


def test_fitted_file_writes_posteriors_and_leaves_unidentified_parameters_at_their_prior(tmp_path):
    config = _joint_config(tmp_path)
    assert main(["calibrate", str(config), "--quiet"]) == 0
    text = (tmp_path / "joint_fitted.toml").read_text()
    assert "centres.city_funding_cny = { dist = \"normal\"" in text
    assert "# centres.pass_probability: not identified by the targets, kept at its prior" in text
    assert (tmp_path / "joint_fitted.identification.csv").read_text().splitlines()[0].startswith("parameter,target,")
    # The fitted file runs, its funding drawn around the fit.
    ds = sim.run(tmp_path / "joint_fitted.toml", draws=4)
    outlay = ds["outlay"].sel(program="centers.art25.milestone_funding", year=2023)
    assert float(outlay.mean()) == pytest.approx(30_000_000, rel=0.1)
    assert float(outlay.std()) > 0


def test_targets_after_the_fit_year_are_refused(tmp_path):
    _base(tmp_path)
    config = tmp_path / "late.toml"
    config.write_text('scenario = "centres.toml"\n[[parameter]]\npath = "centres.city_funding_cny"\nlow = 1e7\n'
                      'high = 2e8\n[[target]]\nvariable = "outlay"\nyear = 2023\nvalue = 1.0\nsource = "t"\n')
    with pytest.raises(ScenarioError, match=r"target\[0\].year: 2023 is after fit_until_year = 2022"):
        load_calibration(config)
