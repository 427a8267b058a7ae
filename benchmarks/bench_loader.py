"""Scenario loading is linear in the number of keys: a file of 4n unknown keys takes about 4
times as long to refuse as one of n (it was quadratic: 20,000 keys took 22.6 s)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.measure import Measurement, best_time
from sim.errors import ScenarioError
from sim.scenario.loader import load_scenario

_MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.toml"


def _refusal_seconds(folder: Path, n: int) -> float:
    path = folder / f"keys_{n}.toml"
    path.write_text(f'extends = "{_MINIMAL}"\n[firms.growth]\n' + "".join(f"k{i} = 1\n" for i in range(n)),
                    encoding="utf-8")

    def load():
        try:
            load_scenario(path)
        except ScenarioError:
            return
        raise AssertionError("unknown keys were accepted")

    return best_time(load, repeat=2)


def run(quick: bool) -> list[Measurement]:
    n = 5_000 if quick else 50_000
    with tempfile.TemporaryDirectory() as tmp:
        small, large = _refusal_seconds(Path(tmp), n), _refusal_seconds(Path(tmp), 4 * n)
    return [
        Measurement(f"refuse {n:,} unknown keys", small, "s"),
        Measurement(f"refuse {4 * n:,} unknown keys", large, "s", f"{n:,} keys", large / small,
                    "time(4n) / time(n): 4-5 if linear (allocation adds a little), 16 if quadratic", "<= 6"),
    ]
