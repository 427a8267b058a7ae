"""Rebuild NotoSansCJKsc-Regular-subset.otf from Noto Sans CJK Regular (a .ttc): see README.md here.

Run from the repository root: ``python sim/analysis/fonts/subset.py PATH/NotoSansCJK-Regular.ttc``.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = Path(__file__).parent
#: Face of the collection that holds the Simplified Chinese forms.
SC_FACE = 2
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


def characters(repo: Path) -> set[int]:
    """Code points kept: GB 2312, the CJK characters of the repository's data and code, and punctuation."""
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for pattern in ("sim/**/*.toml", "sim/**/*.py", "scenarios/**/*.toml", "calibration/**/*.toml"):
        for path in repo.glob(pattern):
            chars |= set(CJK.findall(path.read_text(encoding="utf-8")))
    ranges = [(0x20, 0x7F), (0xA0, 0x100), (0x2010, 0x2070), (0x3000, 0x3040), (0xFF00, 0xFFF0)]
    return {ord(c) for c in chars} | {cp for lo, hi in ranges for cp in range(lo, hi)}


def main(ttc: str) -> None:
    """Write the subset beside this file."""
    with tempfile.TemporaryDirectory() as tmp:
        face = Path(tmp) / "sc.otf"
        TTCollection(ttc).fonts[SC_FACE].save(face)
        unicodes = Path(tmp) / "unicodes.txt"
        unicodes.write_text(",".join(f"U+{c:04X}" for c in sorted(characters(Path.cwd()))))
        subset.main([str(face), f"--unicodes-file={unicodes}", "--name-IDs=*", "--name-languages=*",
                     "--no-hinting", "--layout-features=", "--drop-tables+=vhea,vmtx,VORG,BASE",
                     f"--output-file={HERE / 'NotoSansCJKsc-Regular-subset.otf'}"])


if __name__ == "__main__":
    main(sys.argv[1])
