"""Shared fixtures: the scenario folder, the minimal scenario, a writer of small scenario files,
a builder of policy sets, and the hypothesis profile of the property tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from sim.policy.gazette import load_gazette
from sim.policy.policyset import PolicySet, resolve_policy
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
MINIMAL = SCENARIOS / "minimal.toml"

# Property tests are deterministic (derandomize) and modest, so the suite is fast and never flaky.
settings.register_profile(
    "sim",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("sim")


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    """The repository's ``scenarios/`` folder."""
    return SCENARIOS


@pytest.fixture(scope="session")
def minimal_path() -> Path:
    """``scenarios/minimal.toml``."""
    return MINIMAL


@pytest.fixture(scope="session")
def minimal() -> LoadedScenario:
    """The minimal scenario, loaded once."""
    return load_scenario(MINIMAL)


@pytest.fixture(scope="session")
def gazette():
    return load_gazette()


@pytest.fixture
def write_scenario(tmp_path):
    """Write a scenario file into a temporary folder: ``write_scenario("a.toml", text) -> Path``.

    The text is dedented; ``extends = "@minimal"`` is replaced by the absolute path of the minimal
    scenario so a file can build on it from anywhere.
    """

    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            text = textwrap.dedent(text).replace("@minimal", MINIMAL.as_posix())
            path.write_text(text, encoding="utf-8")
        return path

    return write


def make_policy(tables: dict) -> PolicySet:
    """Resolve a scenario given as a dict of tables (name defaults to ``test``) against the gazette."""
    scenario = Scenario.model_validate({"name": "test"} | tables)
    return resolve_policy(scenario, load_gazette(), "test.toml")


@pytest.fixture
def policy_of():
    """``policy_of({...tables...}) -> PolicySet`` (see :func:`make_policy`)."""
    return make_policy


@pytest.fixture
def two_parameter_scenario(tmp_path: Path) -> Path:
    """Minimal with two uncertain parameters: one drives the D5 retrofit outlay, the other a stream that pays ~nothing."""
    path = tmp_path / "two_params.toml"
    path.write_text(textwrap.dedent(f"""
        extends = "{(Path(__file__).resolve().parents[1] / 'scenarios' / 'minimal.toml').as_posix()}"
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
