"""The threshold rewards' event rows in NumPy: the reference :func:`event_rows` is tested against."""

from __future__ import annotations

import numpy as np

__all__ = ["event_rows_reference"]


def event_rows_reference(in_family, first_size_year, first_100m_year, counted_in_year, counted_at_100m, revenue_cny,
                         year, event, new_firms_only, stay_up_at_100m, min_revenue_cny, never_year):
    """:func:`event_rows` in NumPy, one mask per condition."""
    ok = np.array(in_family, dtype=bool)
    fsy, f100 = first_size_year, first_100m_year
    if event == 0:
        ok &= fsy == year - 1
    elif event == 1:
        ok &= fsy == year
        if new_firms_only:
            ok &= counted_in_year
    elif event == 2:
        ok &= (f100 == year - 1) & (fsy != never_year)
    else:
        if stay_up_at_100m:
            ok &= (fsy == year - 1) & counted_at_100m
        else:
            ok &= (f100 == year - 1) & (fsy <= year - 1)
        if min_revenue_cny != -np.inf:
            ok &= revenue_cny >= min_revenue_cny
    return np.nonzero(ok)[0].astype(np.int64)
