"""The gazette as data: load and index the documents, instruments and targets shipped with `sim`.

One TOML file per document lives in ``sim/policy/gazette/``. The loader is strict: unknown keys,
duplicate ids, malformed dates and amounts are errors naming the file and the key.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping

from pydantic import TypeAdapter, ValidationError

from sim.errors import PolicyDataError
from sim.policy.instrument import DOCUMENT_KEYS, Document, Instrument, InstrumentAdapter, Target

__all__ = ["Gazette", "load_gazette"]


@dataclass(frozen=True)
class Gazette:
    """The encoded gazette: documents, instruments and targets, keyed by id.

    Attributes
    ----------
    documents : mapping of str to Document
        By document key (``hydrogen``, ``scaleup``, ...).
    instruments : mapping of str to Instrument
        By instrument id (``hydrogen.13.operating_subsidy``), in document order.
    targets : mapping of str to Target
        By target id.
    """

    documents: Mapping[str, Document]
    instruments: Mapping[str, Instrument]
    targets: Mapping[str, Target]

    def by_document(self, key: str) -> list[Instrument]:
        """Instruments of one document, in file order."""
        return [ins for ins in self.instruments.values() if ins.document == key]


def _format_validation(path: str, prefix: str, err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"] if p not in _KIND_TAGS)
        where = f"{prefix}.{loc}" if loc else prefix
        lines.append(f"{path}: {where}: {e['msg'].removeprefix('Value error, ')}")
    return lines


_KIND_TAGS = {
    "tiered_grant",
    "unit_subsidy",
    "cost_share",
    "interest_subsidy",
    "threshold_reward",
    "milestone_grant",
    "capped_grant",
    "category_grant",
}


def _load_document_file(path: Path, text: str) -> tuple[Document, list[Instrument], list[Target]]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyDataError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"document", "instrument", "target"}
    if unknown:
        raise PolicyDataError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: document, instrument, target")
    problems: list[str] = []
    try:
        document = Document.model_validate(raw.get("document", {}))
    except ValidationError as exc:
        raise PolicyDataError("\n".join(_format_validation(str(path), "document", exc))) from None
    instruments = []
    for i, rec in enumerate(raw.get("instrument", [])):
        try:
            ins = InstrumentAdapter.validate_python(rec)
        except ValidationError as exc:
            problems += _format_validation(str(path), f"instrument[{i}] ({rec.get('id', '?')})", exc)
            continue
        if ins.document != document.key:
            problems.append(f"{path}: instrument {ins.id}: id must start with the document key '{document.key}.'")
        instruments.append(ins)
    targets = []
    for i, rec in enumerate(raw.get("target", [])):
        try:
            targets.append(Target.model_validate(rec))
        except ValidationError as exc:
            problems += _format_validation(str(path), f"target[{i}] ({rec.get('id', '?')})", exc)
    if problems:
        raise PolicyDataError("\n".join(problems))
    return document, instruments, targets


@functools.lru_cache(maxsize=1)
def load_gazette() -> Gazette:
    """Load the gazette shipped in ``sim/policy/gazette/``.

    Returns
    -------
    Gazette
        Documents, instruments and targets of all eight documents.

    Raises
    ------
    PolicyDataError
        If a data file is missing, malformed, or two records share an id.
    """
    folder = resources.files("sim.policy") / "gazette"
    documents: dict[str, Document] = {}
    instruments: dict[str, Instrument] = {}
    targets: dict[str, Target] = {}
    for key in DOCUMENT_KEYS:
        entry = folder / f"{key}.toml"
        if not entry.is_file():
            raise PolicyDataError(f"sim/policy/gazette/{key}.toml: missing data file for document '{key}'")
        path = Path(str(entry))
        document, ins_list, tgt_list = _load_document_file(path, entry.read_text(encoding="utf-8"))
        if document.key != key:
            raise PolicyDataError(f"{path}: document.key is '{document.key}', expected '{key}' (the file name)")
        documents[key] = document
        for ins in ins_list:
            if ins.id in instruments:
                raise PolicyDataError(f"{path}: duplicate instrument id {ins.id}")
            instruments[ins.id] = ins
        for tgt in tgt_list:
            if tgt.id in targets:
                raise PolicyDataError(f"{path}: duplicate target id {tgt.id}")
            targets[tgt.id] = tgt
    return Gazette(documents=documents, instruments=instruments, targets=targets)
