"""Validation messages: pydantic errors as ``file: key.path: what is wrong; what is allowed`` lines.

The scenario loader (:func:`sim.scenario.loader.format_validation_errors`) and the gazette's
instrument records (:func:`sim.policy.kinds.instrument_error_lines`) walk their models differently
to find what is allowed, but word the problems here, so a user reads one style of message
whichever file was wrong.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["MAX_VALUE_CHARS", "key_path", "unknown_key", "describe", "shown_value", "problem_line"]

#: Values quoted in messages are cut to this many characters, so a whole table or a long string
#: given by mistake does not bury the message.
MAX_VALUE_CHARS = 80

_DATE_HINT = "must be a TOML date, written without quotes (e.g. 2030-12-31)"
_FINITE_HINT = "must be a finite number (NaN and infinity are not allowed)"


def key_path(loc: Iterable[Any]) -> str:
    """A pydantic location as a TOML key path: ``a.b."c.d".0`` (keys holding dots quoted)."""
    parts = []
    for p in loc:
        s = str(p)
        parts.append(f'"{s}"' if "." in s else s)
    return ".".join(parts)


def unknown_key(key: Any, allowed: Sequence[str]) -> str:
    """``unknown key (did you mean 'x'?); allowed: a, b`` for a key not in `allowed`."""
    close = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key{hint}; allowed: {', '.join(allowed) or 'none'}"


def describe(error: ErrorDetails, finite_hint: bool = True) -> str:
    """What is wrong, in the user's terms: pydantic's message without ``Value error,``, dates explained.

    Parameters
    ----------
    error : ErrorDetails
        One entry of ``ValidationError.errors()``.
    finite_hint : bool
        Say NaN and infinity are not allowed where pydantic says only "finite number" (the
        instrument records keep pydantic's wording, which their messages have always used).
    """
    if error["type"] == "finite_number" and finite_hint:
        return _FINITE_HINT
    if error["type"] in ("date_type", "date_parsing") and isinstance(error.get("input"), str):
        return _DATE_HINT
    return error["msg"].removeprefix("Value error, ")


def shown_value(value: Any) -> str:
    """`` (got <repr>)``, the repr cut to :data:`MAX_VALUE_CHARS` characters with "…"."""
    text = repr(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return f" (got {text})"


def problem_line(source: str, where: str, error: ErrorDetails, show_value: bool = True, finite_hint: bool = True) -> str:
    """``source: where: message (got value)``; the value is left out for tables, lists and missing keys."""
    given = error.get("input")
    shown = show_value and not isinstance(given, (dict, list)) and error["type"] != "missing"
    return f"{source}: {where}: {describe(error, finite_hint)}{shown_value(given) if shown else ''}"
