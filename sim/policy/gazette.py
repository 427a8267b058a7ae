"""The gazette as data: load and index the documents, instruments and targets.

One TOML file per document lives in ``sim/policy/gazette/``; every file there is a document
(nothing lists them). A scenario may add documents of its own in the same format
(``[policy] documents``), validated the same way. The loader is strict: unknown keys, duplicate
ids or document keys, malformed dates and amounts are errors naming the file and the key.

A document file may declare the agencies that pay its instruments, with their English names
(``[[payer]]`` tables: ``name``, ``name_en``), for plots and reports; the shipped gazette's
English names are in ``payers.toml`` (:mod:`sim.policy.payers`).
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from pydantic import ValidationError

from sim.errors import PolicyDataError
from sim.input_files import MAX_TOML_BYTES, read_input_file
from sim.policy.instrument import Document, Payer, Target
from sim.policy.kinds import Instrument, InstrumentAdapter, instrument_error_lines
from sim.policy.payers import shipped_payer_names

__all__ = ["Gazette", "DocumentFile", "load_gazette", "load_documents", "read_document_file"]


class DocumentFile(NamedTuple):
    """One document file, read and validated."""

    path: Path
    document: Document
    instruments: list[Instrument]
    targets: list[Target]
    payers: tuple[Payer, ...] = ()


@dataclass(frozen=True)
class Gazette:
    """Encoded documents, instruments and targets, keyed by id.

    Attributes
    ----------
    documents : mapping of str to Document
        By document key (``hydrogen``, ``scaleup``, ...), in document order.
    instruments : mapping of str to Instrument
        By instrument id (``hydrogen.13.operating_subsidy``), in document order.
    targets : mapping of str to Target
        By target id.
    files : mapping of str to Path
        The file of each document, by key.
    declared_payers : mapping of str to tuple of Payer
        The payers each document file declares (``[[payer]]``), by document key.
    """

    documents: Mapping[str, Document]
    instruments: Mapping[str, Instrument]
    targets: Mapping[str, Target]
    files: Mapping[str, Path]
    declared_payers: Mapping[str, tuple[Payer, ...]] = field(default_factory=dict)

    @property
    def payer_names_en(self) -> dict[str, str]:
        """English name of each payer the documents declare, by the name instruments use."""
        return {p.name: p.name_en for payers in self.declared_payers.values() for p in payers}

    def by_document(self, key: str) -> list[Instrument]:
        """Instruments of one document, in file order."""
        return [ins for ins in self.instruments.values() if ins.document == key]

    def extended(self, others: Sequence[DocumentFile]) -> Gazette:
        """A copy of this gazette with more documents after it (a scenario's own).

        Raises
        ------
        PolicyDataError
            If a document key, instrument id or target id is already taken, or a payer is given
            an English name other than the one it already has.
        """
        return _assemble(list(self._parts()) + list(others))

    def _parts(self):
        for key, doc in self.documents.items():
            yield DocumentFile(self.files[key], doc, self.by_document(key),
                               [t for t in self.targets.values() if t.id.split(".", 1)[0] == key],
                               self.declared_payers.get(key, ()))


def _problem_lines(path: Path, prefix: str, exc: ValidationError, kind: str | None = None) -> list[str]:
    return instrument_error_lines(exc, str(path), prefix, kind)


def read_document_file(path: Path, text: str | None = None) -> DocumentFile:
    """Read and validate one document file.

    Raises
    ------
    PolicyDataError
        One line per problem, naming the file and the key: among them a ``[[payer]]`` with an
        unknown or missing key, a payer declared twice, or one that pays none of the file's
        instruments.
    """
    if text is None:
        data = read_input_file(path, "policy document (.toml)", MAX_TOML_BYTES, PolicyDataError)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyDataError(f"{path}: cannot be read as a UTF-8 document file ({exc})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyDataError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"document", "instrument", "target", "payer"}
    if unknown:
        raise PolicyDataError(f"{path}: unknown top-level key(s) {sorted(unknown)}; "
                              "allowed: document, instrument, target, payer")
    try:
        document = Document.model_validate(raw.get("document", {}))
    except ValidationError as exc:
        raise PolicyDataError("\n".join(_problem_lines(path, "document", exc))) from None
    problems: list[str] = []
    instruments = []
    for i, rec in enumerate(raw.get("instrument", [])):
        where = f"instrument[{i}] ({rec.get('id', '?') if isinstance(rec, dict) else '?'})"
        try:
            ins = InstrumentAdapter.validate_python(rec)
        except ValidationError as exc:
            problems += _problem_lines(path, where, exc, rec.get("kind") if isinstance(rec, dict) else None)
            continue
        if ins.document != document.key:
            problems.append(f"{path}: instrument {ins.id}: id must start with the document key '{document.key}.'")
        instruments.append(ins)
    targets = []
    for i, rec in enumerate(raw.get("target", [])):
        try:
            targets.append(Target.model_validate(rec))
        except ValidationError as exc:
            problems += _problem_lines(path, f"target[{i}] ({rec.get('id', '?')})", exc)
    payers, payer_problems = _read_payers(path, raw.get("payer", []), instruments)
    problems += payer_problems
    if problems:
        raise PolicyDataError("\n".join(problems))
    return DocumentFile(path, document, instruments, targets, tuple(payers))


def _read_payers(path: Path, records, instruments: list[Instrument]) -> tuple[list[Payer], list[str]]:
    """The ``[[payer]]`` tables of a document file, and one line per problem."""
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return [], [f"{path}: payer: must be [[payer]] tables, each with name and name_en"]
    payers: list[Payer] = []
    problems: list[str] = []
    paying = {ins.payer for ins in instruments}
    for i, rec in enumerate(records):
        where = f"payer[{i}] ({rec.get('name', '?')})"
        try:
            payer = Payer.model_validate(rec)
        except ValidationError as exc:
            problems += _problem_lines(path, where, exc)
            continue
        if any(p.name == payer.name for p in payers):
            problems.append(f"{path}: {where}.name: '{payer.name}' is declared twice; declare a payer once")
        elif payer.name not in paying:
            allowed = ", ".join(sorted(paying)) or "none: the file has no instrument"
            problems.append(f"{path}: {where}.name: '{payer.name}' pays none of the file's instruments; "
                            f"allowed: the payers of its instruments: {allowed}")
        else:
            payers.append(payer)
    return payers, problems


def _assemble(parts: Sequence[DocumentFile]) -> Gazette:
    documents: dict = {}
    instruments: dict = {}
    targets: dict = {}
    files: dict = {}
    declared: dict = {}
    # A payer has one English name: that of payers.toml, or of the first document declaring it.
    english = dict(shipped_payer_names())
    named_by = {name: "sim/policy/payers.toml" for name in english}
    for path, document, ins_list, tgt_list, payers in parts:
        if document.key in documents:
            raise PolicyDataError(f"{path}: document.key '{document.key}' is already the key of {files[document.key]}; "
                                  "give this document a key of its own")
        documents[document.key] = document
        files[document.key] = path
        for ins in ins_list:
            if ins.id in instruments:
                raise PolicyDataError(f"{path}: duplicate instrument id {ins.id}")
            instruments[ins.id] = ins
        for tgt in tgt_list:
            if tgt.id in targets:
                raise PolicyDataError(f"{path}: duplicate target id {tgt.id}")
            targets[tgt.id] = tgt
        for payer in payers:
            if english.get(payer.name, payer.name_en) != payer.name_en:
                raise PolicyDataError(f"{path}: payer ({payer.name}).name_en: '{payer.name_en}' differs from "
                                      f"'{english[payer.name]}', its English name in {named_by[payer.name]}; "
                                      "a payer has one English name")
            english.setdefault(payer.name, payer.name_en)
            named_by.setdefault(payer.name, str(path))
        declared[document.key] = tuple(payers)
    return Gazette(documents=documents, instruments=instruments, targets=targets, files=files,
                   declared_payers=declared)


@functools.lru_cache(maxsize=1)
def load_gazette() -> Gazette:
    """Load every document file shipped in ``sim/policy/gazette/``, in the order of their ``position``.

    Raises
    ------
    PolicyDataError
        If a data file is malformed, or two records share an id or two documents a key or position.
    """
    folder = resources.files("sim.policy") / "gazette"
    parts = [read_document_file(Path(str(entry))) for entry in folder.iterdir()
             if entry.is_file() and entry.name.endswith(".toml")]
    if not parts:
        raise PolicyDataError("sim/policy/gazette/: no document files (*.toml)")
    positions: dict[int, Path] = {}
    for path, document, *_ in parts:
        if document.position in positions:
            raise PolicyDataError(f"{path}: document.position {document.position} is also that of "
                                  f"{positions[document.position]}")
        positions[document.position] = path
    return _assemble(sorted(parts, key=lambda part: part[1].position))


def load_documents(paths: Sequence[Path]) -> Gazette:
    """The shipped gazette extended by a scenario's own document files, in the order given.

    Raises
    ------
    PolicyDataError
        As :func:`read_document_file`, or if a key or id clashes with the gazette's.
    """
    gazette = load_gazette()
    if not paths:
        return gazette
    return gazette.extended([read_document_file(Path(p)) for p in paths])
