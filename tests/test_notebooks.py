"""The notebooks in notebooks/ run from top to bottom without error and show their charts inline."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _needed(module: str):
    """``module``, installed by the test extras (`make test`): skipped without it outside CI, failed under CI."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is missing under CI: `make test` installs it (pip install -e '.[test]')")
        pytest.skip(f"{module} is missing: pip install -e '.[test]'")


def _outputs(nb, kind: str) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == kind]


def _images(nb) -> list:
    return [o for o in _outputs(nb, "display_data") + _outputs(nb, "execute_result") if "image/png" in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_charts(path):
    nbformat = _needed("nbformat")
    nbclient = _needed("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    assert not _outputs(nb, "error")
    assert _images(nb), f"{path.name}: no chart appeared inline"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_saved_notebook_carries_its_outputs(path):
    """A reader on GitHub sees the charts without running anything."""
    nbformat = _needed("nbformat")
    nb = nbformat.read(path, as_version=4)
    assert _images(nb) and not _outputs(nb, "error")


def test_the_four_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["01_quick_start", "02_policy_question", "03_budget_ceilings",
                                           "04_calibration_hindcast_sensitivity"]
