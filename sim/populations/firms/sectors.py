"""The sector list of the firm population and its size thresholds, read from ``sectors.toml``.

The sectors are data: their order is the order of the ``sector`` dimension of the results and of
the sector codes (``uint8``) in the firm arrays.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.errors import PolicyDataError

__all__ = ["Sector", "SectorTable", "load_sectors", "SECTORS_FILE"]

SECTORS_FILE = Path(__file__).with_name("sectors.toml")


@dataclass(frozen=True)
class Sector:
    """One sector.

    Attributes
    ----------
    key : str
        Name on the ``sector`` dimension and in scenario files.
    label : str
        Readable name.
    above_size_threshold_cny : float
        Statistical above-size threshold of main-business revenue (reached when ``>=``), CNY.
    threshold_source : str
        Where the threshold comes from.
    scaleup_category : str
        Reward family matched against an instrument's ``eligibility.sector`` ("" for none).
    """

    key: str
    label: str
    above_size_threshold_cny: float
    threshold_source: str
    scaleup_category: str


@dataclass(frozen=True)
class SectorTable:
    """The sectors in order, the stay-up threshold and the digital-human target thresholds (CNY)."""

    sectors: tuple[Sector, ...]
    stay_up_threshold_cny: float
    key_firm_revenue_cny: float
    head_firm_revenue_cny: float

    @property
    def keys(self) -> list[str]:
        """Sector keys in code order."""
        return [s.key for s in self.sectors]

    def code(self, key: str) -> int:
        """Sector code (position) of a sector key.

        Raises
        ------
        KeyError
            If the key is not a sector.
        """
        for i, s in enumerate(self.sectors):
            if s.key == key:
                return i
        raise KeyError(f"unknown sector '{key}'; allowed: {', '.join(self.keys)}")


@lru_cache(maxsize=4)
def load_sectors(path: Path = SECTORS_FILE) -> SectorTable:
    """Read the sector table.

    Raises
    ------
    PolicyDataError
        If the file misses a key or a threshold is not positive.
    """
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    try:
        sectors = tuple(
            Sector(s["key"], s["label"], float(s["above_size_threshold_cny"]), s["threshold_source"], s["scaleup_category"])
            for s in raw["sector"]
        )
        table = SectorTable(
            sectors,
            float(raw["stay_up"]["threshold_cny"]),
            float(raw["digital_human_targets"]["key_firm_revenue_cny"]),
            float(raw["digital_human_targets"]["head_firm_revenue_cny"]),
        )
    except KeyError as exc:
        raise PolicyDataError(f"{path}: missing key {exc}") from None
    if len(set(table.keys)) != len(table.keys) or len(table.keys) > 250:
        raise PolicyDataError(f"{path}: sector keys must be unique and fewer than 251")
    for s in sectors:
        if s.above_size_threshold_cny <= 0.0:
            raise PolicyDataError(f"{path}: sector {s.key}: above_size_threshold_cny must be > 0")
    return table
