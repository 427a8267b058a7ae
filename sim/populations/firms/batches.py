"""The batch calendar of 专精特新 certification, read from ``srdi_batches.toml``.

Beijing certifies municipal 专精特新 firms in lists publicised a few times a year, and MIIT names
national little giants in one batch a year: the counts move in steps at those dates. The firm
step is yearly, so a batch counts in the year its list was publicised; years after the last
listed one repeat the file's ``after_last_year`` rhythm, and a year before the first listed one
is refused (the calendar does not say what happened then).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sim.errors import PolicyDataError

__all__ = ["BatchCalendar", "load_batch_calendar", "BATCHES_FILE"]

BATCHES_FILE = Path(__file__).with_name("srdi_batches.toml")
#: Most batches a year the file may list (weekly lists would be a typo).
_MAX_BATCHES_A_YEAR = 52


@dataclass(frozen=True)
class BatchCalendar:
    """Batches publicised per year.

    Attributes
    ----------
    municipal_by_year, national_by_year : dict of int to int
        Beijing's 专精特新 lists and MIIT's little-giant batches publicised in each listed year.
    municipal_after, national_after : int
        Batches a year after the last listed year.
    """

    municipal_by_year: dict[int, int]
    national_by_year: dict[int, int]
    municipal_after: int
    national_after: int

    def municipal(self, year: int) -> int:
        """Beijing 专精特新 lists publicised in `year`.

        Raises
        ------
        ValueError
            If `year` is before the first listed year.
        """
        return _in_year(self.municipal_by_year, self.municipal_after, year, "municipal")

    def national(self, year: int) -> int:
        """National little-giant batches publicised in `year` (0 before the first, 2019).

        Raises
        ------
        ValueError
            If `year` is before the first listed year.
        """
        return _in_year(self.national_by_year, self.national_after, year, "national")

    @property
    def first_year(self) -> int:
        """First year both kinds of batch are listed for."""
        return max(min(self.municipal_by_year), min(self.national_by_year))


def _in_year(by_year: dict[int, int], after: int, year: int, kind: str) -> int:
    if year in by_year:
        return by_year[year]
    if year < min(by_year):
        raise ValueError(f"{BATCHES_FILE.name} lists {kind} batches from {min(by_year)}, not {year}")
    return after if year > max(by_year) else 0


@lru_cache(maxsize=4)
def load_batch_calendar(path: Path = BATCHES_FILE) -> BatchCalendar:
    """Read the batch calendar.

    Raises
    ------
    PolicyDataError
        If a key is missing, a year is listed twice, a count is negative or implausibly large, or
        an entry has no source.
    """
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    try:
        municipal = [(int(e["year"]), int(e["batches"]), str(e["source"])) for e in raw["municipal"]]
        # Every national entry is one batch.
        national = [(int(e["year"]), 1, str(e["source"])) for e in raw["national"]]
        after = raw["after_last_year"]
        municipal_after, national_after = int(after["municipal"]), int(after["national"])
        str(after["source"])
    except KeyError as exc:
        raise PolicyDataError(f"{path}: missing key {exc}") from None
    tables: list[dict[int, int]] = []
    for kind, entries in (("municipal", municipal), ("national", national)):
        if not entries:
            raise PolicyDataError(f"{path}: [[{kind}]]: no entry; allowed: one or more years")
        by_year: dict[int, int] = {}
        for year, count, source in entries:
            if not 0 <= count <= _MAX_BATCHES_A_YEAR:
                raise PolicyDataError(f"{path}: [[{kind}]] year {year}: batches {count}; allowed: 0-{_MAX_BATCHES_A_YEAR}")
            if not source.strip():
                raise PolicyDataError(f"{path}: [[{kind}]] year {year}: empty source")
            by_year[year] = by_year.get(year, 0) + count
            if kind == "municipal" and by_year[year] != count:
                raise PolicyDataError(f"{path}: [[municipal]] year {year} listed twice; allowed: one entry a year")
        tables.append(by_year)
    for kind, count in (("municipal", municipal_after), ("national", national_after)):
        if not 0 <= count <= _MAX_BATCHES_A_YEAR:
            raise PolicyDataError(f"{path}: after_last_year.{kind}: {count}; allowed: 0-{_MAX_BATCHES_A_YEAR}")
    return BatchCalendar(tables[0], tables[1], municipal_after, national_after)
