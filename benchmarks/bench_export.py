"""``sim export --format xlsx`` of a 1,000-draw baseline (issue 23: under 30 s on 2 cores).

The summary workbook holds statistics over draws, and the per-draw tables go beside it as Parquet,
so the time grows with the draws only through the Parquet files. Running 1,000 baseline draws
takes the better part of an hour on 2 shared cores, so the 1,000-draw results are made by tiling
a real run of :data:`RUN_DRAWS` draws along ``draw`` (each copy renumbered: the values repeat,
the sizes and the work of the export are those of 1,000 draws). The ratio set against it is the
export of the untiled run, measured in the same process: the export's cost per draw.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

from benchmarks.measure import Measurement

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
#: Draws actually run; tiled up to :data:`TARGET_DRAWS` (quick: 2 tiled to 20).
RUN_DRAWS = {False: 20, True: 2}
TARGET_DRAWS = {False: 1_000, True: 20}


def tile_draws(ds: xr.Dataset, copies: int) -> xr.Dataset:
    """`ds` repeated `copies` times along ``draw``, draws renumbered 0..n-1 (and the payments' draws with them)."""
    n = ds.sizes["draw"]
    per_draw = [name for name in ds.data_vars if "draw" in ds[name].dims]
    tiled = xr.concat([ds[per_draw].assign_coords(draw=ds["draw"].values + i * n) for i in range(copies)], dim="draw")
    out = ds.drop_vars(per_draw + ["draw"]).merge(tiled)
    if "payment_draw" in ds:
        parts = [ds[[v for v in ds.data_vars if ds[v].dims == ("payment",)]] for _ in range(copies)]
        payments = xr.concat(parts, dim="payment")
        payments["payment_draw"] = payments["payment_draw"] + np.repeat(np.arange(copies) * n, ds.sizes["payment"])
        out = out.drop_vars(list(payments.data_vars)).merge(payments)
    out.attrs = dict(ds.attrs) | {"draws": int(n * copies)}
    return out


def _export_seconds(folder: Path, out: Path) -> float:
    from sim.analysis.export import write_export

    t0 = time.perf_counter()
    write_export(folder, "xlsx", out, force=True)
    return time.perf_counter() - t0


def run(quick: bool) -> list[Measurement]:
    import sim
    from sim.analysis.results import write_outputs

    run_draws, target = RUN_DRAWS[quick], TARGET_DRAWS[quick]
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        ds = sim.run(BASELINE, draws=run_draws, workers=1)
        write_outputs(ds, small)
        large.mkdir()
        (large / "results.nc").write_bytes(tile_draws(ds, target // run_draws).to_netcdf(engine="h5netcdf"))
        _export_seconds(small, Path(tmp) / "warm")  # imports and first calls
        base = _export_seconds(small, Path(tmp) / "x_small")
        seconds = _export_seconds(large, Path(tmp) / "x_large")
        size = sum(p.stat().st_size for p in (Path(tmp) / "x_large").iterdir())
        book = next((Path(tmp) / "x_large").glob("*.xlsx")).stat().st_size
    return [
        Measurement(f"export xlsx, baseline, {run_draws} draws", base, "s"),
        Measurement(f"export xlsx, baseline, {target:,} draws (tiled)", seconds, "s", f"{run_draws} draws",
                    seconds / base, f"time({target:,}) / time({run_draws}): draws x{target // run_draws}",
                    "< 30 s" if not quick else ""),
        Measurement(f"export xlsx, {target:,} draws: workbook", book / 1e6, "MB"),
        Measurement(f"export xlsx, {target:,} draws: workbook and Parquet", size / 1e6, "MB"),
    ]
