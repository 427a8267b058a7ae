"""`sim report`: the executive summary, names, flags, queue section, comparison report, warnings."""

from __future__ import annotations

import re
import stat
import textwrap

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sim.analysis.report import exposure_drivers
from sim.analysis.report_labels import Labels, draws_warning
from sim.analysis.targets import joint_probability, wilson_interval
from sim.cli import main


@pytest.fixture(scope="module")
def ceiling_report(tmp_path_factory, scenarios_dir):
    out = tmp_path_factory.mktemp("report") / "bc"
    assert main(["run", str(scenarios_dir / "budget_ceiling_binding.toml"), "--draws", "12", "--out", str(out),
                 "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    return out, (out / "report.html").read_text(encoding="utf-8")


def test_report_opens_with_the_summary_and_the_total_mean(ceiling_report):
    out, text = ceiling_report
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        total = float(ds["outlay"].sum(["year", "program"]).mean()) / 1e6
    summary = text[text.index("class=summary"):text.index("</section>")]
    assert f"<b>{total:,.1f}</b>" in summary
    assert "Executive summary" in summary and "摘要" in summary
    assert "the three largest programmes" in summary and "95%" in summary
    assert text.index("class=summary") < text.index("Fiscal exposure by programme")


def test_programmes_in_chinese_and_english_with_the_id_in_small_type(ceiling_report):
    _, text = ceiling_report
    assert "加氢站建设补贴（按压缩机12小时额定加注能力）<br>Hydrogen refuelling station construction grant" in text
    # The legal basis and the id in small type under the name.
    assert ("<span class=id><span class=cite>《北京市关于支持氢能产业发展的若干政策措施》第13条 · </span>"
            "hydrogen.13.construction_grant</span>") in text
    assert "市城市管理委<br>Municipal Commission of Urban Management" in text


def test_rows_with_p95_zero_that_pay_in_some_draws_are_kept(tmp_path, scenarios_dir):
    # The FCV demonstration reward pays in few draws: P95 may be 0 but its mean is not; it must show.
    out = tmp_path / "res"
    assert main(["run", str(scenarios_dir / "minimal.toml"), "--draws", "3", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        for pid in ds["program"].values:
            assert f"</span>{pid}</span>" in text or f"<span class=id>{pid}</span>" in text, pid
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir() if p.is_file()} == {0o644}


def test_assumed_amount_is_flagged_with_its_assumption_one_click_away(ceiling_report):
    _, text = ceiling_report
    row = re.search(r"Rewards to vehicle makers[^<]*(?:<[^>]+>[^<]*){0,3}", text).group(0)
    anchor = re.search(r"href='#(a\d+)'", text[text.index("Rewards to vehicle makers"):]).group(1)
    assert "⚑" in text[text.index("Rewards to vehicle makers"):][:400], row
    details = text[text.index(f"<details id={anchor}>"):]
    assert "hydrogen.15.fcv_demonstration_reward" in details[:300] and "150,000" in details[:2000]


def test_scenario_description_and_changes_key_by_key(ceiling_report):
    _, text = ceiling_report
    assert "Baseline with binding yearly budget ceilings" in text
    assert "baseline.toml" in text
    assert "budget.lines.eitb.ceiling_cny_per_year</td><td>—</td><td>150000000</td>" in text


def test_queue_section_when_a_budget_line_binds(ceiling_report):
    out, text = ceiling_report
    assert "Queues under binding budget lines" in text and "Backlog at year end" in text
    assert "forfeited pro rata" in text and "mean wait past the due year" in text
    with xr.open_dataset(out / "results.nc", engine="h5netcdf") as ds:
        first = int(ds["year"].values[0])
        backlog = float(ds["unpaid"].sum("program").isel(year=0).mean()) / 1e6
    assert f"<tr><td>{first}</td><td>{backlog:,.1f}</td>" in text


def test_no_queue_section_without_ceilings(tmp_path, scenarios_dir):
    out = tmp_path / "res"
    assert main(["run", str(scenarios_dir / "minimal.toml"), "--draws", "2", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "--lang", "en"]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Queues under binding budget lines" not in text
    assert "摘要" not in text and "Executive summary" in text


def test_few_draws_warning():
    assert "Only 12 draws" in draws_warning(12, Labels("en"))
    assert draws_warning(1000, Labels("en")) == ""


def test_wilson_interval_matches_the_formula_and_brackets_the_share():
    # 3 of 10: p = 0.3, z = 1.96; centre (0.3 + 0.19208) / 1.38415 = 0.35557, half 0.2531...
    lo, hi = wilson_interval(3, 10)
    assert lo == pytest.approx(0.10779, abs=1e-4) and hi == pytest.approx(0.60322, abs=1e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


def test_joint_probability_is_the_share_of_draws_reaching_all():
    reached = {"a": np.array([1, 1, 0, 1], bool), "b": np.array([1, 0, 0, 1], bool)}
    assert joint_probability(reached, ["a", "b"]) == 0.5


def test_drivers_are_ranked_by_rank_correlation_with_total_outlay(two_parameter_scenario):
    import sim

    path = two_parameter_scenario
    ds = sim.run(path, draws=30)
    drivers = exposure_drivers(ds)
    assert drivers[0][0] == "projects.streams.software.6.data_centre_green_retrofit.size_median_cny"
    assert drivers[0][1] > 0.5


def test_compare_folder_gets_a_comparison_report(tmp_path, scenarios_dir, capsys):
    out = tmp_path / "cmp"
    (tmp_path / "variant.toml").write_text(textwrap.dedent(f"""
        extends = "{(scenarios_dir / 'minimal.toml').as_posix()}"
        name = "variant"
        [instruments."software.6.data_centre_green_retrofit"]
        enabled = false
    """))
    assert main(["compare", str(scenarios_dir / "minimal.toml"), str(tmp_path / "variant.toml"), "--draws", "4",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    df = pd.read_csv(out / "comparison.csv")
    row = df[(df["scenario"] == "variant") & (df["quantity"] == "outlay by programme: software.6.data_centre_green_retrofit")]
    base = df[(df["scenario"] == "minimal") & (df["quantity"] == "outlay by programme: software.6.data_centre_green_retrofit")]
    assert row["diff_mean"].iloc[0] == pytest.approx(-base["mean"].iloc[0])
    assert "mean" in printed
    assert main(["report", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Scenario comparison" in text and "software.6.data_centre_green_retrofit" in text
    assert f"<b>{row['diff_mean'].iloc[0]:+,.2f}</b>" in text
    assert "Only 4 draws" in text
