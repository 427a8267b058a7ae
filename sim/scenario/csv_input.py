"""Strict reading of the CSV files a scenario names (real firms, real stations).

A :class:`CsvColumn` says what a column holds; :func:`read_csv_table` checks the header, every
value and the uniqueness of each id column, and reports each problem as one line naming the file,
the row (as a spreadsheet shows it: the header is row 1) and the column.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.errors import InputDataError
from sim.input_files import MAX_CSV_BYTES, read_input_file
from sim.messages import cut_text

__all__ = ["CsvColumn", "read_csv_table"]

_MAX_PROBLEMS = 20
#: Unknown header cells listed, and their names cut to this length: a header is reported by
#: column names only, never as a whole line.
_MAX_UNKNOWN_COLUMNS = 10
_MAX_COLUMN_CHARS = 40
#: Longest field of an input CSV, characters (128 Ki, the csv module's own limit): ids, names and
#: numbers are far shorter.
MAX_CSV_FIELD_CHARS = 131_072


@dataclass(frozen=True)
class CsvColumn:
    """A column of an input CSV.

    Attributes
    ----------
    name : str
        Header name.
    kind : {"id", "text", "float", "int", "bool", "choice"}
        What the values are: ``id`` is non-empty text unique within its column (it may repeat a
        value of another column); ``text`` is non-empty text that may repeat (a key into
        something else, checked by the caller); ``bool`` accepts 0/1/true/false; ``choice`` is one
        of `choices`.
    required : bool
        Whether the column must be present; an absent optional column takes `default`.
    min_value, max_value : float
        Smallest and largest values allowed for numbers (inclusive).
    choices : tuple of str
        Allowed values of a ``choice`` column.
    default : object
        Value of an absent optional column.
    """

    name: str
    kind: str
    required: bool = True
    min_value: float = -math.inf
    max_value: float = math.inf
    choices: tuple[str, ...] = ()
    default: object = None
    description: str = ""


def _parse(col: CsvColumn, text: str):
    text = text.strip()
    shown = repr(cut_text(text))
    if col.kind in ("id", "text", "choice"):
        if not text:
            raise ValueError("is empty")
        if col.kind == "choice" and text not in col.choices:
            raise ValueError(f"is {shown}; allowed: {', '.join(col.choices)}")
        return text
    if col.kind == "bool":
        low = text.lower()
        if low in ("1", "true", "yes"):
            return True
        if low in ("0", "false", "no", ""):
            return False
        raise ValueError(f"is {shown}; allowed: 0, 1, true, false")
    try:
        value = float(text) if col.kind == "float" else int(text)
    except ValueError:
        raise ValueError(f"is {shown}, not a {'number' if col.kind == 'float' else 'whole number'}") from None
    if col.kind == "float" and not math.isfinite(value):
        raise ValueError(f"is {shown}; must be a finite number")
    if value < col.min_value:
        raise ValueError(f"is {cut_text(text)}; must be >= {col.min_value:g}")
    if value > col.max_value:
        raise ValueError(f"is {cut_text(text)}; must be <= {col.max_value:g}")
    return value


#: Tables already read and checked, by (digest of the file's bytes, columns): every draw of a run
#: builds its population from the same file, which is parsed and checked once.
_TABLES: dict[tuple, dict[str, np.ndarray]] = {}
_MAX_TABLES = 8


def read_csv_table(path: str | Path, columns: list[CsvColumn]) -> dict[str, np.ndarray]:
    """Read and check a CSV file (a table read before from the same bytes is not parsed again).

    Parameters
    ----------
    path : str or Path
        The file (UTF-8, comma-separated, header in the first row).
    columns : list of CsvColumn
        The expected columns; other columns are an error (a misspelt header is not ignored).

    Returns
    -------
    dict of str to ndarray
        One array per column (object arrays for ids and choices), the caller's own copy.

    Raises
    ------
    InputDataError
        One line per problem (at most 20 listed), naming file, row and column: unknown, missing or
        repeated columns, bad values, an id seen before in the same column.
    """
    path = Path(path)
    raw = read_input_file(path, "CSV file (.csv)", MAX_CSV_BYTES)
    key = (hashlib.blake2b(raw, digest_size=16).digest(), tuple(columns))
    if key not in _TABLES:
        table = _parse_csv_table(path, raw, columns)
        if len(_TABLES) >= _MAX_TABLES:
            _TABLES.pop(next(iter(_TABLES)))
        _TABLES[key] = table
    return {name: values.copy() for name, values in _TABLES[key].items()}


def _csv_rows(path: Path, text: str) -> list[list[str]]:
    """The rows of a CSV text; one line if a field is longer than :data:`MAX_CSV_FIELD_CHARS` or the
    CSV cannot be split into fields.
    """
    lines = text.splitlines()
    long_lines = bool(lines) and max(map(len, lines)) > MAX_CSV_FIELD_CHARS
    reader = csv.reader(lines)
    rows = []

    def too_long(row: int) -> InputDataError:
        return InputDataError(f"{path}: row {row}: a field is longer than {MAX_CSV_FIELD_CHARS:,} characters; "
                              "allowed: at most that many (is this the right file?)")

    try:
        for row in reader:
            if long_lines and any(len(cell) > MAX_CSV_FIELD_CHARS for cell in row):
                raise too_long(reader.line_num)
            rows.append(row)
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise too_long(reader.line_num) from None
        raise InputDataError(f"{path}: row {reader.line_num}: not valid CSV ({exc})") from None
    return rows


def _parse_csv_table(path: Path, raw: bytes, columns: list[CsvColumn]) -> dict[str, np.ndarray]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(f"{path}: not UTF-8 (byte at offset {exc.start}); save the file as UTF-8") from None
    rows = _csv_rows(path, text)
    if not rows:
        raise InputDataError(f"{path}: empty file; expected a header row with {', '.join(c.name for c in columns)}")
    header = [h.strip() for h in rows[0]]
    known = {c.name for c in columns}
    allowed = ", ".join(c.name for c in columns)
    if not known & set(header):
        # Not this table's header at all (another file given by mistake, say one holding secrets):
        # say so without echoing any of its first line.
        raise InputDataError(f"{path}: the first row names none of the expected columns, so it is not the header "
                             f"of this table ({len(header)} cells); expected a header row with {allowed}")
    problems = []
    unknown = [h for h in header if h not in known]
    for h in unknown[:_MAX_UNKNOWN_COLUMNS]:
        problems.append(f"{path}: column '{cut_text(h, _MAX_COLUMN_CHARS)}': unknown; allowed: {allowed}")
    if len(unknown) > _MAX_UNKNOWN_COLUMNS:
        problems.append(f"{path}: … and {len(unknown) - _MAX_UNKNOWN_COLUMNS} more unknown columns")
    if len(set(header)) != len(header):
        problems.append(f"{path}: header repeats a column name")
    for c in columns:
        if c.required and c.name not in header:
            problems.append(f"{path}: column '{c.name}': missing (required: {', '.join(x.name for x in columns if x.required)})")
    if problems:
        raise InputDataError("\n".join(problems))
    index = {h: i for i, h in enumerate(header)}
    values: dict[str, list] = {c.name: [] for c in columns}
    # Row of each id's first appearance, by column: an id is unique in its own column only.
    seen: dict[str, dict[str, int]] = {c.name: {} for c in columns if c.kind == "id"}
    for r, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{path}: row {r}: has {len(row)} fields, the header has {len(header)}")
            continue
        for c in columns:
            if c.name not in index:
                values[c.name].append(c.default)
                continue
            cell = row[index[c.name]]
            if not c.required and not cell.strip():
                # An empty cell of an optional column means "not known": the column's default.
                values[c.name].append(c.default)
                continue
            try:
                v = _parse(c, cell)
            except ValueError as exc:
                problems.append(f"{path}: row {r}, column '{c.name}': {exc}")
                v = c.default
            values[c.name].append(v)
            if c.kind == "id" and v is not None:
                first = seen[c.name].setdefault(v, r)
                if first != r:
                    problems.append(f"{path}: row {r}, column '{c.name}': duplicate id {cut_text(repr(v))} "
                                    f"(first at row {first})")
        if len(problems) >= _MAX_PROBLEMS:
            problems.append(f"{path}: more problems not listed")
            break
    if problems:
        raise InputDataError("\n".join(problems))
    out = {}
    for c in columns:
        if c.kind in ("id", "text", "choice"):
            out[c.name] = np.array(values[c.name], dtype=object)
        elif c.kind == "bool":
            out[c.name] = np.array(values[c.name], dtype=bool)
        elif c.kind == "int":
            out[c.name] = np.array(values[c.name], dtype=np.int64)
        else:
            out[c.name] = np.array(values[c.name], dtype=np.float64)
    return out
