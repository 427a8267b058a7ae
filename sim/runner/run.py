"""The composition root: run a loaded scenario's ensemble and label its arrays as an ``xarray.Dataset``.

The dataset follows the results contract of docs/design.md: dims ``draw``, ``year`` and where needed
``program``, ``payer``, ``sector``, ``station``; every variable has ``units`` and ``long_name``;
attributes name the scenario, its file's SHA-256, the seed and the package version. Writing it to
disk is the business of :mod:`sim.analysis.results`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
import xarray as xr

from sim.core.finite import check_finite
from sim.policy.payers import payer_english
from sim.runner.design import ParameterDesign
from sim.runner.ensemble import DEFAULT_SCHEDULER_TIMEOUT_S, EnsembleLayout, run_draws
from sim.runner.provenance import library_versions, package_version, source_digest, source_revision
from sim.scenario.loader import LoadedScenario

__all__ = ["build_dataset", "run_scenario", "resolved_toml", "program_variables", "PROGRAM_NAN_VARIABLES"]


def build_dataset(
    loaded: LoadedScenario,
    layout: EnsembleLayout,
    arrays: dict[str, np.ndarray],
    parameters: list[dict[str, float]],
) -> xr.Dataset:
    """Label the stacked arrays of an ensemble.

    Adds the payer view (``outlay_by_payer``, ``committed_by_payer``, ``unpaid_by_payer``), the
    programme-to-payer map, the discount factors and the drawn values of uncertain parameters.
    """
    n_draws = next(iter(arrays.values())).shape[0]
    coords = {"draw": np.arange(n_draws)} | {k: v for k, v in layout.coords.items()}
    data_vars = {}
    for spec in layout.specs:
        data_vars[spec.name] = xr.Variable(
            ("draw",) + spec.dims, arrays[spec.name], attrs={"units": spec.units, "long_name": spec.long_name}
        )
    policy = loaded.policy
    payers = policy.payers
    coords["payer"] = payers
    member = np.zeros((len(policy.programs), len(payers)))
    for p in policy.programs:
        member[p.index, payers.index(p.payer)] = 1.0
    for name in ("outlay", "committed", "unpaid"):
        data_vars[f"{name}_by_payer"] = xr.Variable(
            ("draw", "year", "payer"),
            arrays[name] @ member,
            attrs={"units": "CNY", "long_name": data_vars[name].attrs["long_name"] + ", by payer"},
        )
    data_vars["program_payer"] = xr.Variable(
        ("program",), np.array([p.payer for p in policy.programs], dtype=object),
        attrs={"units": "1", "long_name": "payer of the programme (its budget line's payer)"},
    )
    declared = policy.catalogue.payer_names_en if policy.catalogue is not None else {}
    data_vars["payer_name_en"] = xr.Variable(
        ("payer",), np.array([payer_english(name, declared) for name in payers], dtype=object),
        attrs={"units": "1", "long_name": "English name of the payer (payers.toml, or its document's [[payer]])"},
    )
    data_vars["program_citation"] = xr.Variable(
        ("program",), np.array([str(p.instrument.citation) for p in policy.programs], dtype=object),
        attrs={"units": "1", "long_name": "document number, item and seed line of the programme"},
    )
    data_vars |= program_variables(policy)
    data_vars["discount_factor"] = xr.Variable(
        ("year",), policy.discount_factors(),
        attrs={"units": "1", "long_name": f"present-value factor to {policy.base_year} at {policy.discount_rate:.4g} a year"},
    )
    if "payment_draw" in arrays and arrays["payment_draw"].size:
        years = np.asarray(policy.years)
        programs = np.array(policy.ids, dtype=object)
        columns = {
            "payment_draw": (arrays["payment_draw"], "1", "draw of the payment"),
            "payment_year": (years[arrays["payment_year"]], "year", "year of approval and payment"),
            "payment_program": (programs[arrays["payment_program"]], "1", "programme (instrument id)"),
            "payment_recipient": (arrays["payment_recipient"].astype(object), "1", "recipient's id in its CSV file"),
            "payment_committed_cny": (arrays["payment_committed_cny"], "CNY", "approved for the recipient in the year"),
            "payment_outlay_cny": (arrays["payment_outlay_cny"], "CNY", "paid to the recipient in the year"),
        }
        for name, (values, units, long_name) in columns.items():
            data_vars[name] = xr.Variable(("payment",), values, attrs={"units": units, "long_name": long_name})
    names = sorted({k for p in parameters for k in p})
    if names:
        coords["parameter"] = names
        table = np.array([[p.get(k, np.nan) for k in names] for p in parameters], dtype=np.float64)
        data_vars["parameter_value"] = xr.Variable(
            ("draw", "parameter"), table, attrs={"units": "as in the scenario", "long_name": "value drawn for an uncertain parameter"}
        )
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {
        "scenario": loaded.scenario.name,
        "scenario_file": loaded.path.name,
        "scenario_sha256": loaded.sha256,
        # Every input file's SHA-256, from the bytes the run used (read once, when loaded).
        "input_sha256": json.dumps({Path(k).name: v for k, v in loaded.input_sha256().items()}, ensure_ascii=False),
        "seed": int(loaded.scenario.ensemble.seed),
        "draws": int(n_draws),
        "first_year": int(policy.years[0]),
        "last_year": int(policy.years[-1]),
        "sim_version": package_version(),
        "sim_source_sha256": source_digest(),
        "sim_revision": source_revision(),
        "library_versions": json.dumps(library_versions()),
        "discount_rate": float(policy.discount_rate),
        "base_year": int(policy.base_year),
        "scenario_description": loaded.scenario.description,
        "scenario_extends": loaded.files[1].name if len(loaded.files) > 1 else "",
        "scenario_changes": json.dumps([[k, _jsonable(old), _jsonable(new)] for k, old, new in loaded.changes],
                                       ensure_ascii=False),
        "scenario_resolved": resolved_toml(loaded, n_draws),
    }
    return ds


#: Programme variables in which NaN means "does not apply" (a rate or cap of another kind).
PROGRAM_NAN_VARIABLES = ("program_rate_cny_per_kg", "program_price_cap_cny_per_kg")


def program_variables(policy) -> dict[str, xr.Variable]:
    """What each programme is: its kind, recipient, per-kg rate and price cap, and its years in force.

    Parameters
    ----------
    policy : PolicySet
        The programmes in force, in the order of the ``program`` dimension.

    Returns
    -------
    dict of str to xarray.Variable
        ``program_kind`` and ``program_recipient`` (program); ``program_rate_cny_per_kg`` and
        ``program_price_cap_cny_per_kg`` (program; NaN for an instrument without the field, or
        without a cap); ``program_in_force_share`` (year, program): the share of each year's days
        inside the programme's validity window.
    """
    programs = policy.programs

    def field(name: str) -> np.ndarray:
        # Read from the instrument's own fields, whatever its kind: NaN where it has none.
        values = [getattr(p.instrument, name, None) for p in programs]
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)

    share = (np.stack([np.asarray(p.validity_share, dtype=np.float64) for p in programs], axis=1)
             if programs else np.zeros((len(policy.years), 0)))
    return {
        "program_kind": xr.Variable(
            ("program",), np.array([p.instrument.kind for p in programs], dtype=object),
            attrs={"units": "1", "long_name": "instrument kind of the programme (sim policies lists the kinds)"}),
        "program_recipient": xr.Variable(
            ("program",), np.array([p.instrument.recipient for p in programs], dtype=object),
            attrs={"units": "1", "long_name": "who the programme pays (firm, station, project, ...)"}),
        "program_rate_cny_per_kg": xr.Variable(
            ("program",), field("rate_cny_per_kg"),
            attrs={"units": "CNY/kg", "long_name": "subsidy per kg sold of a per-kg programme (NaN for other kinds)"}),
        "program_price_cap_cny_per_kg": xr.Variable(
            ("program",), field("price_cap_cny_per_kg"),
            attrs={"units": "CNY/kg", "long_name": "highest retail price that qualifies for a per-kg programme "
                                                   "(NaN for other kinds, or without a cap)"}),
        "program_in_force_share": xr.Variable(
            ("year", "program"), share,
            attrs={"units": "1", "long_name": "share of the year's days inside the programme's validity window"}),
    }


def _jsonable(value: Any) -> Any:
    """A TOML value as JSON (dates as ISO text)."""
    return json.loads(json.dumps(value, default=str))


def resolved_toml(loaded: LoadedScenario, draws: int) -> str:
    """The scenario with every key after ``extends``, as TOML that ``sim run`` runs to the same numbers.

    The ensemble's ``draws`` and ``seed`` are those of the run (``--draws`` and ``--seed`` included).
    """
    table = dict(loaded.resolved)
    table["ensemble"] = dict(table.get("ensemble", {})) | {"draws": int(draws),
                                                          "seed": int(loaded.scenario.ensemble.seed)}
    header = (f"# {loaded.scenario.name}: every key of {loaded.path.name} after `extends`, as run by sim "
              f"{package_version()}.\n# Input-file paths are absolute. `sim run` on this file gives the same numbers.\n")
    return header + tomli_w.dumps(table)


def run_scenario(
    loaded: LoadedScenario,
    draws: int | ParameterDesign | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    checkpoint: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler_timeout: float = DEFAULT_SCHEDULER_TIMEOUT_S,
    notice: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> xr.Dataset:
    """Run a loaded scenario's ensemble and return the labelled results.

    Parameters
    ----------
    loaded : LoadedScenario
    draws : int or ParameterDesign, optional
        Override the scenario's ``[ensemble]`` draws; or a design, whose rows (see
        :mod:`sim.runner.design`) are run instead of the scenario's draws, the dataset's ``draw``
        then being the row.
    seed : int, optional
        Override the scenario's ``[ensemble]`` seed.
    workers, scheduler, checkpoint, progress, scheduler_timeout, notice, threads
        See :func:`sim.runner.ensemble.run_draws`.

    Returns
    -------
    xarray.Dataset

    Raises
    ------
    NumericalError
        If a draw produced an infinite number, or NaN where NaN does not mean "undefined".
    """
    scenario = loaded.scenario
    design = draws if isinstance(draws, ParameterDesign) else None
    if design is not None:
        draws = None
    if seed is not None or draws is not None:
        ens = scenario.ensemble.model_copy(
            update={k: v for k, v in (("seed", seed), ("draws", draws)) if v is not None}
        )
        loaded = replace(loaded, scenario=scenario.model_copy(update={"ensemble": ens}))
    n = loaded.scenario.ensemble.draws if design is None else design.runs
    layout, arrays, params = run_draws(loaded, n if design is None else design, workers, scheduler,
                                       checkpoint=checkpoint, progress=progress, scheduler_timeout=scheduler_timeout,
                                       notice=notice, threads=threads)
    ds = build_dataset(loaded, layout, arrays, params)
    check_finite(ds, {s.name for s in layout.specs if np.isnan(s.fill)} | set(PROGRAM_NAN_VARIABLES), str(loaded.path))
    return ds
