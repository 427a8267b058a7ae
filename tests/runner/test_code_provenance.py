"""Provenance: results record the code and libraries that made them; resume refuses draws of other sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import sim
from sim.errors import SimError
from sim.runner.checkpoint import check_manifest, run_record, write_manifest
from sim.runner.provenance import LIBRARIES, library_versions, source_digest, source_revision

PACKAGE = Path(sim.__file__).resolve().parent
MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml"


def test_the_source_digest_follows_code_and_data_not_caches(tmp_path):
    copy = tmp_path / "sim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    same = source_digest.__wrapped__(copy)
    assert same == source_digest.__wrapped__(copy) and len(same) == 64
    # A compiled cache or a note beside the code changes nothing; a shipped data file or a line of code does.
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (copy / "NOTES.md").write_text("notes")
    assert source_digest.__wrapped__(copy) == same
    defaults = copy / "populations" / "hydrogen" / "hydrogen_defaults.toml"
    defaults.write_text(defaults.read_text() + "\n# a comment\n")
    changed = source_digest.__wrapped__(copy)
    assert changed != same
    (copy / "core" / "rng.py").write_text((copy / "core" / "rng.py").read_text() + "\n")
    assert source_digest.__wrapped__(copy) != changed


def test_the_revision_is_a_commit_or_unknown(tmp_path):
    revision = source_revision()
    assert revision == "unknown" or len(revision.removesuffix("+dirty")) == 40
    assert source_revision.__wrapped__(tmp_path) == "unknown"  # not a git checkout


def test_results_record_version_revision_sources_libraries_and_inputs():
    ds = sim.run(str(MINIMAL), draws=1)
    assert ds.attrs["sim_source_sha256"] == source_digest()
    assert ds.attrs["sim_revision"] == source_revision()
    libraries = json.loads(ds.attrs["library_versions"])
    assert set(libraries) == set(LIBRARIES) and libraries["numpy"] == library_versions()["numpy"]
    assert json.loads(ds.attrs["input_sha256"])  # every input file's digest


def test_resume_refuses_draws_saved_by_other_sources(tmp_path):
    loaded = sim.load_scenario(MINIMAL)
    record = run_record(loaded, 4)
    write_manifest(tmp_path, record)
    check_manifest(tmp_path, record)  # the same run: accepted
    other = dict(record.fields, sim_source_sha256="0" * 64)
    (tmp_path / "manifest.json").write_text(json.dumps(other))
    with pytest.raises(SimError, match="another version of the sim sources"):
        check_manifest(tmp_path, record)
