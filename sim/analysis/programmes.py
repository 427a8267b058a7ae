"""Names of the programmes of a results file, for tables a person reads.

Results name programmes by instrument id (``hydrogen.13.operating_subsidy``); the names are in
the policy documents: the shipped gazette's, and a scenario's own documents (``policy.documents``),
read back from the resolved scenario the results carry. A programme found in neither keeps its id.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import xarray as xr

__all__ = ["article_citation", "programme_names"]


def article_citation(instrument, catalogue) -> str:
    """The instrument's place in its document, ``《title》第N条`` (its citation when the document is unknown)."""
    doc = catalogue.documents.get(instrument.document)
    # Items are numbers ("13") or articles ("Art.25"); 第…条 says "article" already.
    item = instrument.citation.item.removeprefix("Art.").strip()
    return f"《{doc.title}》第{item}条" if doc is not None else str(instrument.citation)


def _scenario_catalogue(ds: xr.Dataset):
    """The documents of the run's own scenario (its resolved copy), or None when it no longer loads."""
    from sim.errors import SimError
    from sim.scenario.loader import load_scenario

    text = ds.attrs.get("scenario_resolved")
    if not text:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.resolved.toml"
        path.write_text(str(text), encoding="utf-8")
        try:
            return load_scenario(path).policy.catalogue
        except SimError:
            return None


def programme_names(ds: xr.Dataset) -> pd.DataFrame:
    """English and Chinese names of every programme of `ds`, in the order of its ``program`` dimension.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of a run.

    Returns
    -------
    pandas.DataFrame
        Columns ``program`` (the id), ``program_name`` (the instrument's English name) and
        ``program_name_zh`` (its Chinese name where the document gives one, else the document's
        title and article: 《…》第13条). A programme no document names has its id in both.
    """
    from sim.policy.gazette import load_gazette

    ids = [str(p) for p in ds["program"].values]
    catalogue = load_gazette()
    if any(pid not in catalogue.instruments for pid in ids):
        # Only a scenario with documents of its own is loaded again (that takes a second or more).
        catalogue = _scenario_catalogue(ds) or catalogue
    rows = []
    for pid in ids:
        ins = catalogue.instruments.get(pid)
        if ins is None:
            rows.append({"program": pid, "program_name": pid, "program_name_zh": pid})
            continue
        zh = getattr(ins, "name_zh", None) or article_citation(ins, catalogue)
        rows.append({"program": pid, "program_name": ins.name, "program_name_zh": zh})
    return pd.DataFrame(rows, columns=["program", "program_name", "program_name_zh"])
