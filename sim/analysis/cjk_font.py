"""The Chinese font of the charts: the shipped Noto Sans CJK SC subset, registered with matplotlib.

A machine without CJK fonts (``fc-list :lang=zh`` empty: a fresh server, CI) would draw Chinese
titles, axes, legends and payer names as empty boxes. The package ships a subset of Noto Sans CJK
SC (SIL Open Font License 1.1; ``sim/analysis/fonts/README.md`` says how it was made) and charts
draw with :func:`chart_style`: Latin text in matplotlib's DejaVu Sans, every glyph it lacks in the
CJK font (matplotlib's per-glyph fallback). Nothing is installed system-wide and nothing is
registered at import time.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager
from pathlib import Path

__all__ = ["CJK_FONT_FILE", "cjk_font_name", "chart_fonts", "chart_style"]

#: The shipped font file (OpenType, CFF outlines).
CJK_FONT_FILE = Path(__file__).with_name("fonts") / "NotoSansCJKsc-Regular-subset.otf"
#: Latin text keeps matplotlib's default face; its digits and dashes match the English charts.
_LATIN_FAMILY = "DejaVu Sans"


@functools.cache
def cjk_font_name() -> str:
    """Register the shipped CJK font with matplotlib (once per process) and return its family name."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(CJK_FONT_FILE))
    return font_manager.FontProperties(fname=str(CJK_FONT_FILE)).get_name()


def chart_fonts() -> list[str]:
    """Font families of the charts, in fallback order: Latin first, then the shipped CJK font."""
    return [_LATIN_FAMILY, cjk_font_name()]


def chart_style() -> AbstractContextManager:
    """A context in which matplotlib draws Latin and Chinese text without missing glyphs.

    ``with chart_style(): ...`` leaves the caller's matplotlib settings as they were afterwards.
    """
    import matplotlib

    return matplotlib.rc_context({"font.family": chart_fonts()})
