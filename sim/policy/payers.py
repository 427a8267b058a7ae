"""English names of the paying agencies: the gazette's in ``payers.toml``, and those a
document file declares (``[[payer]]`` tables, see :mod:`sim.policy.gazette`).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources

__all__ = ["payer_english", "payer_names_of", "shipped_payer_names"]


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    text = (resources.files("sim.policy") / "payers.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["payers"]


def shipped_payer_names() -> dict[str, str]:
    """English name of each payer of the shipped gazette (``payers.toml``), by its Chinese name."""
    return dict(_names())


def payer_english(payer: str, declared: Mapping[str, str] | None = None) -> str:
    """The English name of a payer, or the name itself when none is recorded.

    Parameters
    ----------
    payer : str
        The payer's name as instruments write it.
    declared : mapping of str to str, optional
        English names declared by document files (:attr:`~sim.policy.gazette.Gazette.payer_names_en`,
        or a results file's ``payer_name_en``); they are looked up first.
    """
    if declared and payer in declared:
        return declared[payer]
    return _names().get(payer, payer)


def payer_names_of(ds) -> dict[str, str]:
    """English name of each payer of a results dataset, by its name on the ``payer`` dimension.

    Read from the results' ``payer_name_en`` (written by the run, with the names its documents
    declared); for results written before it, from ``payers.toml``.
    """
    names = [str(n) for n in ds["payer"].values] if "payer" in ds.coords else []
    if "payer_name_en" in ds:
        return dict(zip(names, (str(n) for n in ds["payer_name_en"].values), strict=True))
    return {name: payer_english(name) for name in names}
