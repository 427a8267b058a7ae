"""Base model of every scenario table: strict about keys, types and finite numbers."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["StrictModel", "Year", "YEAR_MIN", "YEAR_MAX", "NonNegative", "Share"]

YEAR_MIN, YEAR_MAX = 2000, 2100
Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class StrictModel(BaseModel):
    """Unknown keys, NaN and infinity are errors; values are frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)
