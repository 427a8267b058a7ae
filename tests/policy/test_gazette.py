"""The gazette as data (sim/policy/gazette.py and the TOML files in sim/policy/gazette/)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from sim.errors import PolicyDataError
from sim.policy.gazette import load_gazette, read_document_file
from sim.policy.instrument import FIXED_FIELDS
from sim.policy.kinds import OVERRIDABLE_FIELDS, InstrumentAdapter

DOCUMENT_KEYS = ("centers", "cohesion", "transfer", "managers", "software", "digital_human", "hydrogen", "scaleup")


def _load_document_file(path, text):
    return read_document_file(path, text)[1:4]

ID_PATTERN = re.compile(r"^(centers|cohesion|transfer|managers|software|digital_human|hydrogen|scaleup)\.[A-Za-z0-9_]+\.[a-z0-9_]+$")


def test_all_eight_documents_load_in_gazette_order(gazette):
    # Discovered from the files; ordered by their position in the gazette (D1...D8).
    assert list(gazette.documents) == list(DOCUMENT_KEYS)
    assert [d.position for d in gazette.documents.values()] == list(range(1, 9))
    assert len(gazette.instruments) > 30


def test_instrument_ids_follow_the_pattern_and_their_document(gazette):
    for ins_id, ins in gazette.instruments.items():
        assert ins.id == ins_id
        assert ID_PATTERN.match(ins_id), ins_id
        assert ins.document in gazette.documents


def test_every_instrument_is_cited_and_dated(gazette):
    for ins in gazette.instruments.values():
        assert re.fullmatch(r"L\d+(-\d+)?", ins.citation.line), ins.id
        assert ins.citation.document_number == gazette.documents[ins.document].number, ins.id
        assert ins.valid_from <= ins.valid_until, ins.id
        assert ins.payer, ins.id


def test_by_document_partitions_the_instruments(gazette):
    parts = [ins.id for key in DOCUMENT_KEYS for ins in gazette.by_document(key)]
    assert sorted(parts) == sorted(gazette.instruments)
    assert all(ins.document == "hydrogen" for ins in gazette.by_document("hydrogen"))
    assert gazette.by_document("nope") == []


def test_hydrogen_validity_is_three_years_from_issue(gazette):
    doc = gazette.documents["hydrogen"]
    assert (doc.issued, doc.valid_from, doc.valid_until) == (dt.date(2022, 8, 11), dt.date(2022, 8, 11), dt.date(2025, 8, 10))
    for ins in gazette.by_document("hydrogen"):
        assert (ins.valid_from, ins.valid_until) == (doc.valid_from, doc.valid_until)


def test_station_programmes_as_in_the_gazette(gazette):
    op = gazette.instruments["hydrogen.13.operating_subsidy"]
    assert (op.kind, op.recipient, op.rate_cny_per_kg, op.price_cap_cny_per_kg) == ("unit_subsidy", "station", 10.0, 30.0)
    assert str(op.citation) == "京经信发〔2022〕63号 item 13, L771-773"


def test_load_gazette_is_cached():
    assert load_gazette() is load_gazette()


def test_targets_are_finite_and_cited(gazette):
    for tgt in gazette.targets.values():
        assert ID_PATTERN.match(tgt.id)
        assert tgt.value == tgt.value and abs(tgt.value) != float("inf")


def test_fixed_fields_are_not_overridable():
    for kind, fields in OVERRIDABLE_FIELDS.items():
        assert not fields & FIXED_FIELDS, kind
        assert {"share_of_cap_paid", "valid_from", "valid_until", "payment_lag_years", "enabled"} <= fields


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"tier_amounts_cny": [-1.0, 2_000_000.0]}, "greater than or equal to 0"),
        ({"tier_thresholds": [500.0, 1000.0]}, "strictly descending"),
        ({"tier_amounts_cny": [1.0]}, "same length"),
        ({"valid_until": dt.date(2022, 1, 1)}, "before valid_from"),
        ({"share_of_cap_paid": 1.01}, "less than or equal to 1"),
        ({"payment_lag_years": 11}, "less than or equal to 10"),
        ({"tier_amounts_cny": [float("nan"), 1.0]}, "finite"),
        ({"colour": "red"}, "Extra inputs are not permitted"),
        ({"eligibility": {"sectorr": "x"}}, "Extra inputs are not permitted"),
    ],
)
def test_instrument_records_are_validated(gazette, change, fragment):
    record = gazette.instruments["hydrogen.13.construction_grant"].model_dump() | change
    with pytest.raises(ValidationError, match=fragment):
        InstrumentAdapter.validate_python(record)


DOC = """
[document]
key = "hydrogen"
position = 7
number = "N"
title = "t"
title_en = "t"
issued = 2022-08-11
valid_from = 2022-08-11
"""

INSTRUMENT = """
[[instrument]]
id = "{id}"
name = "n"
citation = {{ document_number = "N", item = "1", line = "L1" }}
payer = "p"
recipient = "firm"
kind = "capped_grant"
cap_per_project_cny = {cap}
valid_from = 2022-08-11
valid_until = 2025-08-10
"""


def test_data_file_loader_reads_a_good_file():
    doc, ins, tgt = _load_document_file(Path("x.toml"), DOC + INSTRUMENT.format(id="hydrogen.1.a", cap=1.0))
    assert doc.key == "hydrogen" and [i.id for i in ins] == ["hydrogen.1.a"] and tgt == []


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("oops = 1\n" + DOC, r"x\.toml: unknown top-level key\(s\) \['oops'\]"),
        (DOC + "oops = 1\n", r"x\.toml: document\.oops: unknown key"),
        (DOC + "[[instrument]\n", r"x\.toml: not valid TOML"),
        (DOC + INSTRUMENT.format(id="scaleup.1.a", cap=1.0), r"instrument scaleup\.1\.a: id must start with the document key 'hydrogen\.'"),
        (DOC + INSTRUMENT.format(id="hydrogen.1.a", cap=-1.0), r"x\.toml: instrument\[0\] \(hydrogen\.1\.a\)\.cap_per_project_cny"),
        (DOC.replace('key = "hydrogen"', 'key = "Moon"'), r"x\.toml: document\.key"),
        (DOC + INSTRUMENT.format(id="hydrogen.1.a", cap=1.0) + "eligibility = { incubator_knd = 'service' }\n",
         r"instrument\[0\] \(hydrogen\.1\.a\)\.eligibility\.incubator_knd: unknown key \(did you mean 'incubator_kind'\?\)"),
    ],
)
def test_data_file_loader_errors_name_file_and_key(text, fragment):
    with pytest.raises(PolicyDataError, match=fragment):
        _load_document_file(Path("x.toml"), text)
