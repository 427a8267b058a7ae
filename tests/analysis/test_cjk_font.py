"""The shipped CJK font: licensed, registered on demand, and covering every Chinese character of the shipped data."""

from __future__ import annotations

import re
from pathlib import Path

from fontTools.ttLib import TTFont

from sim.analysis.cjk_font import CJK_FONT_FILE, chart_fonts, chart_style, cjk_font_name

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def test_the_font_ships_with_its_licence_and_a_way_to_rebuild_it():
    folder = CJK_FONT_FILE.parent
    assert CJK_FONT_FILE.is_file() and CJK_FONT_FILE.stat().st_size < 3_000_000
    assert "SIL OPEN FONT LICENSE Version 1.1" in (folder / "OFL.txt").read_text(encoding="utf-8")
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "fonts-noto-cjk" in readme and "subset.py" in readme
    names = TTFont(CJK_FONT_FILE)["name"]
    assert "Open Font License" in names.getDebugName(13)  # the licence travels inside the file too


def test_every_chinese_character_of_the_shipped_data_is_in_the_font():
    cmap = TTFont(CJK_FONT_FILE).getBestCmap()
    texts = [p.read_text(encoding="utf-8") for pattern in ("sim/**/*.toml", "scenarios/**/*.toml", "calibration/**/*.toml",
                                                          "sim/analysis/report_labels.py")
             for p in ROOT.glob(pattern)]
    missing = sorted({ch for text in texts for ch in CJK.findall(text) if ord(ch) not in cmap})
    assert missing == [], "rebuild the subset (sim/analysis/fonts/README.md)"


def test_charts_fall_back_to_the_cjk_font_after_latin_and_leave_the_settings_as_they_were():
    import matplotlib

    before = list(matplotlib.rcParams["font.family"])
    with chart_style():
        assert matplotlib.rcParams["font.family"] == chart_fonts() == ["DejaVu Sans", "Noto Sans CJK SC"]
    assert matplotlib.rcParams["font.family"] == before and cjk_font_name() == "Noto Sans CJK SC"
