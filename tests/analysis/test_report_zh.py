"""`sim report --lang zh`: Chinese throughout (targets, sectors, programmes, charts) and charts without missing glyphs."""

from __future__ import annotations

import re
import textwrap
import tomllib
import warnings
from pathlib import Path

import pytest
import xarray as xr

from sim.analysis.names import LABELS_FILE
from sim.analysis.plots import chart_images
from sim.analysis.report import build_report
from sim.analysis.targets import all_targets
from sim.cli import main
from sim.policy.gazette import load_gazette

SECTORS_FILE = Path(__file__).resolve().parents[2] / "sim" / "populations" / "firms" / "sectors.toml"


@pytest.fixture(scope="module")
def minimal_results(tmp_path_factory, scenarios_dir):
    out = tmp_path_factory.mktemp("zh") / "res"
    assert main(["run", str(scenarios_dir / "minimal.toml"), "--draws", "4", "--out", str(out), "--quiet"]) == 0
    return out


def _english_sector_names() -> set[str]:
    labels = tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))
    shipped = tomllib.loads(SECTORS_FILE.read_text(encoding="utf-8"))
    return {en for _, en in labels["sectors"].values()} | {s["label"] for s in shipped["sector"]}


def _visible_text(page: str) -> str:
    """The page's text as a reader sees it, less tags, styles, scripts, ids in small type and the texts marked
    as English (the assumptions, as their files word them)."""
    page = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    page = re.sub(r"<span class=id>(<span class=cite>.*?</span>)?.*?</span>", " ", page, flags=re.S)
    page = re.sub(r"<(p|span) (class=note )?lang=en>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_zh_report_has_no_english_target_sector_or_programme_names(minimal_results):
    text = _visible_text(build_report(minimal_results, lang="zh"))
    with xr.open_dataset(minimal_results / "results.nc", engine="h5netcdf") as ds:
        sectors_shown = [str(s) for s in ds["sector"].values if float(ds["upscaled"].sel(sector=s).max()) > 0]
    assert sectors_shown, "the scale-up table must show some sector for this test to mean anything"
    english = ({t.name for t in all_targets()} | _english_sector_names()
               | {ins.name for ins in load_gazette().instruments.values()})
    found = sorted(name for name in english if name in text)
    assert found == []
    # ... and the Chinese names are there instead.
    assert "2025年北京加氢站数量" in text and "加氢站建设补贴（按压缩机12小时额定加注能力）" in text
    assert any(zh in text for zh in ("先进制造业", "软件和信息服务业", "氢能产业链", "数字人"))
    for word in ("Executive summary", "Targets", "not modelled", "stations enrolled", "year"):
        assert word not in text, word


def test_zh_charts_and_difference_charts_have_no_missing_glyphs(minimal_results, tmp_path, scenarios_dir):
    # Matplotlib warns "Glyph ... missing from font(s)" when it draws a box: an error here.
    with xr.open_dataset(minimal_results / "results.nc", engine="h5netcdf") as ds:
        ds = ds.load()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        images = chart_images(ds, "zh")
        both = chart_images(ds, None)
    assert len(images) == len(both) >= 4
    (tmp_path / "variant.toml").write_text(textwrap.dedent(f"""
        extends = "{(scenarios_dir / 'minimal.toml').as_posix()}"
        name = "variant"
        [instruments."software.6.data_centre_green_retrofit"]
        enabled = false
    """))
    out = tmp_path / "cmp"
    assert main(["compare", str(scenarios_dir / "minimal.toml"), str(tmp_path / "variant.toml"), "--draws", "4",
                 "--out", str(out), "--quiet"]) == 0
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        page = build_report(out, lang="zh")
    assert page.count("data:image/png;base64,") == 2
    assert "数据中心（算力中心）绿色化改造奖励" in page
    assert "Reward for green retrofits of data" not in _visible_text(page)


def test_without_the_shipped_font_chinese_glyphs_are_missing(minimal_results):
    # The check above can fail: drawing Chinese with DejaVu Sans alone does warn.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("加氢站")
        fig.canvas.draw()
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)
