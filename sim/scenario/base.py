"""Base model of every scenario table: strict about keys, types and finite numbers."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = ["StrictModel", "Year", "YEAR_MIN", "YEAR_MAX", "MAX_MAGNITUDE", "MAX_DRAWS", "NonNegative", "Share", "YearTable", "LogSigma"]

YEAR_MIN, YEAR_MAX = 2000, 2100
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
#: Largest amount or count a scenario may give: 1e15 (CNY: about 240 times Beijing's 2022 GDP of
#: 4.16 trillion, Beijing Municipal Bureau of Statistics). Products of a few such numbers over a
#: century of years and 50,000,000 firms stay far below the float64 limit of 1.8e308, so no result
#: overflows to infinity.
MAX_MAGNITUDE = 1e15
NonNegative = Annotated[float, Field(ge=0.0, le=MAX_MAGNITUDE, allow_inf_nan=False)]
#: Most draws of an ensemble, in a scenario's ``[ensemble]`` and on the command line alike.
MAX_DRAWS = 10_000_000
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
#: Standard deviation of a log quantity across entities; above 10 (a factor e^10 per sd) is a typo.
LogSigma = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]

_V = TypeVar("_V")


def _check_year_keys(table: dict) -> dict:
    for key in table:
        if not key.isdigit() or not YEAR_MIN <= int(key) <= YEAR_MAX:
            raise ValueError(f"keys must be years {YEAR_MIN}..{YEAR_MAX} (got '{key}')")
    return table


#: A table keyed by year (TOML keys are strings: ``{ "2023" = 37, "2025" = 74 }``).
YearTable = Annotated[dict[str, _V], AfterValidator(_check_year_keys)]


class StrictModel(BaseModel):
    """Unknown keys, wrong types, NaN and infinity are errors; values are frozen once validated.

    Types are strict (``true`` is not a number, ``"3"`` is not an integer); a whole number is
    accepted where a decimal one is expected.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True, strict=True)
