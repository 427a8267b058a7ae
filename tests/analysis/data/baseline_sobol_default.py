"""Write the fixture of the default Sobol run of the baseline from the folder that run wrote.

    sim sensitivity scenarios/baseline.toml --method sobol --workers 2 --out results/baseline-sensitivity
    python tests/analysis/data/baseline_sobol_default.py results/baseline-sensitivity "26 min 1 s" "load 8 to 13"

keeps the total outlay of every run (``baseline_sobol_default.csv``, in design order) and what the run
was (``baseline_sobol_default.toml``), which ``test_sensitivity_default_size.py`` re-analyses.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import tomli_w
import xarray as xr

HERE = Path(__file__).resolve().parent
OUTPUT = "fiscal outlay, all programmes"


def main(folder: Path, wall_time: str, load: str) -> None:
    with xr.open_dataset(folder / "samples.nc", engine="h5netcdf") as samples:
        y = samples["output_value"].sel(output=OUTPUT).values
        attrs = dict(samples.attrs)
    table = pd.read_csv(folder / "sensitivity.csv")
    mine = table[table["output"] == OUTPUT]
    top = mine[mine["index"] == "ST"].sort_values("value", ascending=False)["parameter"].head(3).tolist()
    printed = {p: {i: [float(v), float(c)] for i, v, c in mine[mine["parameter"] == p][["index", "value", "conf"]]
                   .itertuples(index=False)} for p in top}
    revision = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
    pd.DataFrame({"fiscal_outlay_million_cny": y}).to_csv(HERE / "baseline_sobol_default.csv", index=False,
                                                          float_format="%.6f")
    meta = {"command": "sim sensitivity scenarios/baseline.toml --method sobol --workers 2",
            "revision": revision, "scenario_sha256": str(attrs["scenario_sha256"]), "seed": int(attrs["seed"]),
            "groups": str(attrs["groups"]), "base": int(attrs["base"]), "runs": int(y.size), "output": OUTPUT,
            "wall_time": wall_time, "load": load, "top_drivers": printed}
    (HERE / "baseline_sobol_default.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])
