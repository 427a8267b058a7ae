"""The whole pipeline against its limits, each ratio measured in one run:

* a baseline draw against the bare least-work loop (:mod:`benchmarks.least_work`) over the
  draw's own firm-years (issue 12 target: <= 5x), on one thread and with the kernels on every
  core (how ``sim run --workers 1`` runs);
* draws per second on 2 worker processes against 1 process on one thread (target >= 1.8x);
* peak memory against the draws kept: the peak resident size of fresh processes running the
  baseline at two ensemble sizes; the growth per extra draw is set against the size of one
  draw's results (memory must grow with results kept, not with firms x draws).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.least_work import least_work_seconds
from benchmarks.measure import Measurement, machine_threads

#: Runs of the draws and of the least-work loop, each ratio taken between their best times (the
#: same count for both, so that the noise of a shared machine weighs alike on either side).
REPEATS = 5
ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

_PEAK = """
import json, resource, sys
import sim
ds = sim.run(sys.argv[1], draws=int(sys.argv[2]), workers=1)
per_draw = sum(v.nbytes for v in ds.data_vars.values() if "draw" in v.dims) / ds.sizes["draw"]
# VmHWM is this program's own high-water mark: ru_maxrss keeps the parent's resident size at the
# fork before the exec (a benchmark parent of 1.5 GB made every child report 1.5 GB).
try:
    peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_kib": peak, "result_bytes_per_draw": per_draw}))
"""


def _firm_years(ds) -> list[int]:
    """Firms stepped in each year of draw 0: alive at year end plus the year's exits."""
    alive = ds["firms_alive"].isel(draw=0).sum("sector").values
    exits = ds["firm_exits"].isel(draw=0).sum("sector").values
    return [int(a + e) for a, e in zip(alive, exits, strict=True)]


def _draw_vs_least_work(loaded, draws: int) -> list[Measurement]:
    import sim

    ds = sim.run(loaded, draws=1)  # compile, warm the caches, count the firm-years
    firms = _firm_years(ds)
    bare = least_work_seconds(firms, repeat=REPEATS)
    out = []
    for threads in sorted({1, machine_threads()}):
        sim.run(loaded, draws=1, threads=threads)
        best = float("inf")
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            sim.run(loaded, draws=draws, threads=threads)
            best = min(best, (time.perf_counter() - t0) / draws)
        out.append(Measurement(f"baseline draw, {threads} thread(s) ({sum(firms):,} firm-years)", best * 1e3, "ms/draw",
                               "least-work loop", best / bare, "draw time / least work", "<= 5"))
    out.append(Measurement("least-work loop, same firm-years", bare * 1e3, "ms"))
    return out


def _workers(loaded, draws: int) -> list[Measurement]:
    from sim.runner.ensemble import run_draws

    rates = {}
    for workers in (1, 2):
        t0 = time.perf_counter()
        run_draws(loaded, draws, workers, threads=1)
        rates[workers] = draws / (time.perf_counter() - t0)
    return [
        Measurement(f"baseline, {draws} draws, 1 worker, 1 thread", rates[1], "draws/s"),
        Measurement(f"baseline, {draws} draws, 2 workers", rates[2], "draws/s", "1 worker", rates[2] / rates[1],
                    "2 workers / 1 worker", ">= 1.8"),
    ]


def _peak(draws: int) -> dict:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(BASELINE), str(draws)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _memory(small: int, large: int) -> list[Measurement]:
    a, b = _peak(small), _peak(large)
    growth = (b["peak_kib"] - a["peak_kib"]) * 1024 / (large - small)
    per_draw = b["result_bytes_per_draw"]
    return [
        Measurement(f"peak memory, baseline {small} draws", a["peak_kib"] / 1024, "MiB"),
        Measurement(f"peak memory, baseline {large} draws", b["peak_kib"] / 1024, "MiB"),
        Measurement("peak memory growth per extra draw", growth / 1024, "KiB/draw", "results of one draw",
                    growth / per_draw, "growth / results kept per draw", "O(1), not firms x draws"),
    ]


def run(quick: bool) -> list[Measurement]:
    import sim

    loaded = sim.load_scenario(BASELINE)
    # 10 draws a run in both modes: a run's fixed cost (the dataset, about 5 ms) spread over 3 made
    # the quick figure a tenth higher than the full one.
    out = _draw_vs_least_work(loaded, 10)
    # 200 draws in both modes (about 10 s): the pool's start, about 40 ms, is then a small part
    # of the run, as in use; at 64 draws it held the quick figure about 5% below the full one (1.76x against 1.86x).
    out += _workers(loaded, 200)
    out += _memory(*((20, 80) if quick else (100, 1000)))
    return out
