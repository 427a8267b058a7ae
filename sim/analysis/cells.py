"""Text that leaves `sim` for other programs: spreadsheet cells and file names.

A spreadsheet (Excel, LibreOffice, Google Sheets) reads a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula, so a recipient id such as
``=HYPERLINK(...)`` in a CSV would run when the file is opened. :func:`neutralise_table` puts a
single quote ``'`` before every such text cell (the quote spreadsheets themselves use to mean
"text"); numbers stay numbers, and a text cell that is just a number (``-0.5``) is left as it is.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "neutralise_table", "safe_file_stem"]

#: First characters that make a spreadsheet cell a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value):
    """`value` with a leading ``'`` if it is text a spreadsheet would read as a formula; else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_table(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of `table` whose text cells (and column names) are neutralised (:func:`neutralise`); numeric columns untouched.

    Each distinct text is looked at once (a long table repeats a few labels millions of times);
    categorical columns stay categorical.
    """
    out = table.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            categories = [neutralise(c) for c in values.cat.categories]
            if len(set(categories)) == len(categories):
                out[column] = values.cat.rename_categories(categories)
            else:  # '=x' and "'=x" both present: they become the same text
                out[column] = values.astype(object).map(neutralise).astype("category")
        elif values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            if any(isinstance(u, str) and u != neutralise(u) for u in uniques):
                safe = np.array([neutralise(u) for u in uniques] + [None], dtype=object)
                out[column] = pd.Series(safe[codes], index=values.index, dtype=values.dtype)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def safe_file_stem(text: object, default: str = "results", limit: int = 100) -> str:
    """A file name made from `text` (a scenario name from a results file): letters, digits, ``_``, ``-``
    and ``.`` only, no leading dot, at most `limit` characters; `default` if nothing is left.

    Never a path: separators, ``..`` and control characters become ``_``.
    """
    name = unicodedata.normalize("NFC", str(text))
    name = re.sub(r"[^\w.-]", "_", name, flags=re.UNICODE).lstrip(".")[:limit]
    return name if name.strip("_-.") else default
