"""The one recursive merge of TOML tables, used by ``extends``, the hydrogen defaults and calibration.

Tables merge key by key; values and arrays replace. A distribution table (a table with a ``dist``
key, such as ``{ dist = "normal", mean = 0.3, sd = 0.01 }``) is a value, not a table of settings:
it replaces the parent's value whole, so a child's normal over a parent's truncated normal does
not keep the parent's ``low`` and ``high``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["merge_tables", "mark_provenance", "is_distribution"]


def is_distribution(value: Any) -> bool:
    """Whether `value` is a distribution table (a dict with a ``dist`` key)."""
    return isinstance(value, dict) and "dist" in value


def merge_tables(
    base: dict,
    over: dict,
    source: str | None = None,
    prov: dict | None = None,
    *,
    replaced: Collection[str] = (),
    prefix: tuple = (),
) -> dict:
    """Override `base` with `over` key by key; tables merge, values, arrays and distributions replace.

    Parameters
    ----------
    base, over : dict
        Tables as read from TOML. Neither is modified.
    source : str, optional
        Name of the file `over` comes from, recorded in `prov`.
    prov : dict, optional
        Maps each key path (a tuple of keys) to the file that set it last, for error messages;
        updated in place when given.
    replaced : collection of str
        Keys whose tables are values (paths by year, say) and so replace rather than merge.
    prefix : tuple
        Key path of `base` within the whole scenario (for `prov`).

    Returns
    -------
    dict
        A new table; sub-tables of `base` that `over` does not touch are shared, not copied.
    """
    out = dict(base)
    for key, value in over.items():
        path = prefix + (key,)
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and key not in replaced and not is_distribution(value):
            if prov is not None:
                # The merged table is now partly this file's: a problem with the table as a whole
                # (e.g. last_year < first_year) names the file that touched it last.
                prov[path] = source
            out[key] = merge_tables(old, value, source, prov, replaced=replaced, prefix=path)
        else:
            out[key] = value
            if prov is not None:
                _forget_provenance(old, prov, path)
                mark_provenance(value, source, prov, path)
    return out


def _forget_provenance(old: Any, prov: dict, path: tuple) -> None:
    # Only keys of the replaced value can have a provenance under `path`: walking it, rather than
    # scanning every recorded path for the prefix, keeps a merge linear in the number of keys.
    prov.pop(path, None)
    if isinstance(old, dict):
        for k, v in old.items():
            _forget_provenance(v, prov, path + (k,))


def mark_provenance(value: Any, source: str | None, prov: dict, path: tuple = ()) -> None:
    """Record `source` as the file that set `value` and every key inside it."""
    prov[path] = source
    if isinstance(value, dict):
        for k, v in value.items():
            mark_provenance(v, source, prov, path + (k,))
