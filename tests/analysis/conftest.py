"""Fixtures of the analysis tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture
def two_parameter_scenario(tmp_path: Path) -> Path:
    """Minimal with two uncertain parameters: one drives the D5 retrofit outlay, the other a stream that pays ~nothing."""
    path = tmp_path / "two_params.toml"
    path.write_text(textwrap.dedent(f"""
        extends = "{(SCENARIOS / 'minimal.toml').as_posix()}"
        name = "two_params"
        [policy]
        in_force = ["software.6.*"]
        [projects.streams."software.6.data_centre_green_retrofit"]
        arrivals_per_year = 3
        size_median_cny = {{ dist = "uniform", low = 10_000_000, high = 100_000_000 }}
        [projects.streams."software.6.compute_centre_conversion"]
        arrivals_per_year = {{ dist = "uniform", low = 0.0, high = 0.001 }}
        size_median_cny = 1_000_000
    """))
    return path
