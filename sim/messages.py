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

__all__ = [
    "MAX_VALUE_CHARS", "MAX_PROBLEM_LINES", "MAX_LINE_CHARS", "key_path", "unknown_key", "describe", "shown_value",
    "problem_line", "cut_text", "bounded_lines", "bounded_message",
]

#: Values quoted in messages are cut to this many characters, so a whole table or a long string
#: given by mistake does not bury the message.
MAX_VALUE_CHARS = 80
#: At most this many problems are listed, then "… and N more problems": a file of 100,000 unknown
#: keys gets a screenful, not 100,000 lines.
MAX_PROBLEM_LINES = 50
#: A problem line longer than this is cut (a line names a file, a key path and what is allowed;
#: the longest the loader writes, a list of allowed keys, is a few hundred characters).
MAX_LINE_CHARS = 1000

_DATE_HINT = "must be a TOML date, written without quotes (e.g. 2030-12-31)"
_FINITE_HINT = "must be a finite number (NaN and infinity are not allowed)"


def key_path(loc: Iterable[Any]) -> str:
    """A pydantic location as a TOML key path: ``a.b."c.d".0`` (keys holding dots quoted, each key cut to
    :data:`MAX_VALUE_CHARS` characters).
    """
    parts = []
    for p in loc:
        s = cut_text(str(p))
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


def cut_text(text: str, width: int = MAX_VALUE_CHARS) -> str:
    """`text` cut to `width` characters, the last one "…" when anything was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def shown_value(value: Any) -> str:
    """`` (got <repr>)``, the repr cut to :data:`MAX_VALUE_CHARS` characters with "…"."""
    if isinstance(value, (str, bytes)) and len(value) > MAX_VALUE_CHARS:
        # Only the head is shown: no need to repr (and copy) a 10 MB string to show 80 characters.
        value = value[: MAX_VALUE_CHARS + 1]
    return f" (got {cut_text(repr(value))})"


def bounded_lines(lines: Sequence[str], omitted: int = 0) -> list[str]:
    """At most :data:`MAX_PROBLEM_LINES` of `lines`, each cut to :data:`MAX_LINE_CHARS`, then
    ``… and N more problems`` for the rest and the `omitted` problems never formatted.
    """
    shown = [cut_text(line, MAX_LINE_CHARS) for line in lines[:MAX_PROBLEM_LINES]]
    more = len(lines) - len(shown) + omitted
    if more > 0:
        shown.append(f"… and {more:,} more problem{'s' if more > 1 else ''}")
    return shown


def bounded_message(text: str) -> str:
    """A message of several lines bounded as :func:`bounded_lines` (for errors raised as one text);
    a message already bounded (its line after the 50th is "… and N more problems") is kept.
    """
    lines = text.splitlines()
    if len(lines) == MAX_PROBLEM_LINES + 1 and lines[-1].startswith("… and "):
        return "\n".join(bounded_lines(lines[:-1]) + lines[-1:])
    return "\n".join(bounded_lines(lines))


def problem_line(source: str, where: str, error: ErrorDetails, show_value: bool = True, finite_hint: bool = True) -> str:
    """``source: where: message (got value)``; the value is left out for tables, lists and missing keys."""
    given = error.get("input")
    shown = show_value and not isinstance(given, (dict, list)) and error["type"] != "missing"
    return f"{source}: {where}: {describe(error, finite_hint)}{shown_value(given) if shown else ''}"
