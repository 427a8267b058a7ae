"""English names of the paying agencies (data in ``payers.toml``)."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

__all__ = ["payer_english"]


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    text = (resources.files("sim.policy") / "payers.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["payers"]


def payer_english(payer: str) -> str:
    """The English name of a payer, or the name itself when none is recorded."""
    return _names().get(payer, payer)
