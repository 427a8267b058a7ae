"""``sim calibrate`` with ``method = "abc-smc"``: a posterior sample of the fitted parameters.

The priors are the scenario's own distributions of the parameters named in ``[[parameter]]``,
truncated to the config's ``[low, high]``; a parameter that is a fixed number in the scenario has
no prior and is refused. The targets are simulated one model draw per particle (see
:mod:`sim.analysis.abc_smc` for the algorithm, the distance and why not pyABC), over the years up
to the last target's only (later years cannot change them). The fit writes:

* ``<output>`` (e.g. ``fitted_baseline.toml``): a scenario that extends the calibrated one and
  names the sample in ``[calibration] posterior_csv``, with the fit's history, the targets
  against the posterior predictive band and the identification table in its header, and a
  ``[parameter_sources]`` note per fitted parameter;
* ``<output stem>.posterior.csv``: the last population, a column per parameter path and
  ``weight``; every draw of a run of the fitted scenario takes one row (jointly);
* ``<output stem>.identification.csv``: per parameter, the prior's and the posterior's mean and
  sd side by side, their ratio and whether the data moved it.

A parameter is *not moved* by the data when its posterior sd is at least
:data:`NOT_MOVED_SD_RATIO` of its prior sd and its mean moved less than
:data:`NOT_MOVED_SHIFT` prior sds: the posterior is then its prior, and the forecast's spread of it
an assumption, not something the observations allow.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import cast

import numpy as np

from sim.errors import SimError

__all__ = ["calibrate_abc", "abc_identification_rows", "write_abc_fitted", "scipy_prior", "NOT_MOVED_SD_RATIO",
           "NOT_MOVED_SHIFT"]

#: Posterior sd over prior sd at or above which (with a small shift) the data did not move a parameter.
NOT_MOVED_SD_RATIO = 0.8
#: Shift of the mean, in prior sds, below which (with a wide posterior) the data did not move a parameter.
NOT_MOVED_SHIFT = 0.5


def scipy_prior(dist):
    """The scipy frozen distribution of a scenario distribution (Uniform, Normal, LogNormal, Triangular)."""
    from scipy import stats

    kind = dist.dist
    if kind == "uniform":
        return stats.uniform(dist.low, dist.high - dist.low)
    if kind == "normal":
        lo, hi = dist.bounds()
        return stats.truncnorm((lo - dist.mean) / dist.sd, (hi - dist.mean) / dist.sd, loc=dist.mean, scale=dist.sd)
    if kind == "lognormal":
        return stats.lognorm(dist.sigma, scale=dist.median)
    return stats.triang((dist.mode - dist.low) / (dist.high - dist.low), loc=dist.low, scale=dist.high - dist.low)


def _priors(config, scenario, source: str):
    from sim.analysis.abc_smc import Prior
    from sim.scenario.posterior import value_at

    priors = []
    for i, p in enumerate(config.parameter):
        dist = value_at(scenario, p.path)
        if dist is None or not hasattr(dist, "bounds"):
            what = "is not a key of the scenario" if dist is None else "is a fixed number in the scenario"
            raise SimError(f"{source}: parameter[{i}].path: '{p.path}' {what}; abc-smc takes each parameter's prior "
                           "from the scenario: give it a distribution there")
        if getattr(dist, "sd", 1.0) == 0.0:
            raise SimError(f"{source}: parameter[{i}].path: '{p.path}' has a prior of sd 0; abc-smc needs a spread")
        lo, hi = dist.bounds()
        low, high = max(lo, p.low), min(hi, p.high)
        if not low < high:
            raise SimError(f"{source}: parameter[{i}]: [low, high] = [{p.low:g}, {p.high:g}] does not meet the "
                           f"prior's support [{lo:g}, {hi:g}]")
        priors.append(Prior(p.path, scipy_prior(dist), low, high))
    return priors


def _per_draw(ds, config, index: int, source: str) -> np.ndarray:
    """The simulated target `index`, one value per draw."""
    from sim.analysis.observations import simulated

    entry = config.entry_of(index)
    t = config.target[index]
    if entry is not None:
        sim_values = simulated(ds, entry)
        if sim_values.values is None:
            raise SimError(f"{source}: target[{index}].observed: '{t.observed}': {sim_values.reason}")
        return np.asarray(sim_values.values, dtype=np.float64)
    da = ds[t.variable]
    for dim, label in t.select.items():
        da = da.sel({dim: label})
    if t.year is not None:
        da = da.sel(year=t.year)
    return np.asarray(da.sum([d for d in da.dims if d != "draw"]).values, dtype=np.float64)


def calibrate_abc(config, scenario_path: Path, source: str = "<config>", progress=None, *, result_type, target_sd):
    """Fit by ABC-SMC; return a :class:`~sim.analysis.calibration.CalibrationResult` with the posterior.

    `result_type` (:class:`~sim.analysis.calibration.CalibrationResult`) and `target_sd` (the sd
    of a target) are handed over by :func:`sim.analysis.calibration.calibrate`, which calls this:
    importing them back from there would make the two modules import each other.

    Raises
    ------
    SimError
        A parameter without a prior distribution in the scenario, a target without a year or
        that the results do not model.
    """
    from sim.analysis.abc_smc import AbcTargets, abc_smc, regression_adjusted, within_tolerance
    from sim.runner.design import ParameterDesign
    from sim.runner.run import run_scenario
    from sim.scenario.loader import load_scenario
    from sim.scenario.posterior import PosteriorSample

    untimed = [i for i, t in enumerate(config.target) if t.year is None]
    if untimed:
        raise SimError(f"{source}: target[{untimed[0]}]: abc-smc needs a year for every target (a stylised fact "
                       "pools every year of a run)")
    last = max(int(cast(int, t.year)) for t in config.target)
    overrides: dict = {"horizon": {"last_year": last}}
    if config.seed is not None:
        overrides["ensemble"] = {"seed": config.seed}
    loaded = load_scenario(scenario_path, overrides, overrides_source=source)
    priors = _priors(config, loaded.scenario, source)
    names = tuple(p.path for p in config.parameter)

    def simulate(values: np.ndarray, draws: np.ndarray) -> np.ndarray:
        ds = run_scenario(loaded, draws=ParameterDesign(names, values, draws))
        return np.column_stack([_per_draw(ds, config, i, source) for i in range(len(config.target))])

    history: list[str] = []

    def tell(line: str) -> None:
        history.append(line)
        if progress is not None:
            progress(len(history), line)

    observed = np.array([cast(float, t.value) for t in config.target])
    obs_sd = np.array([target_sd(t) for t in config.target])
    weights = np.array([t.weight for t in config.target])
    targets = AbcTargets(observed, obs_sd, weights)
    fit = abc_smc(priors, targets, simulate, config.population, config.generations,
                  config.pilot_draws, int(config.seed or 0), config.min_acceptance, config.max_simulations, tell)
    particles, simulated = fit.particles, fit.simulated
    scale = np.sqrt(obs_sd ** 2 + fit.sim_sd ** 2)
    if config.regression_adjustment:
        adjusted = regression_adjusted(priors, fit.particles, fit.weights, fit.simulated, observed, scale)
        # A draw replays its particle's random numbers under the adjusted values: the pair must
        # still be a state the fit accepts. Rerun each adjusted particle with its own draw and keep
        # the adjustment only where its targets stay within the last tolerance.
        rerun = simulate(adjusted, fit.draws)
        inside = within_tolerance(rerun, targets, scale, fit.tolerances[-1])
        particles = np.where(inside[:, None], adjusted, fit.particles)
        simulated = np.where(inside[:, None], rerun, fit.simulated)
        tell(f"regression-adjusted (Beaumont et al. 2002): {int(inside.sum())} of {len(inside)} particles moved by a "
             "weighted linear fit of their parameters on their targets' misses; the others, whose random numbers "
             "under the moved values fall outside the last tolerance, keep their values")
    noise_seed = int(loaded.scenario.ensemble.seed)
    sample = PosteriorSample(names, particles, fit.weights,
                             np.column_stack([np.full(len(fit.draws), noise_seed, dtype=np.int64), fit.draws]))
    mean, sd = sample.mean(), sample.sd()
    prior_mean = {p.name: float(p.sample((np.arange(4001) + 0.5) / 4001).mean()) for p in priors}
    prior_sd = {p.name: p.sd() for p in priors}
    not_moved = [n for j, n in enumerate(names)
                 if sd[j] >= NOT_MOVED_SD_RATIO * prior_sd[n] and abs(mean[j] - prior_mean[n]) < NOT_MOVED_SHIFT * prior_sd[n]]
    predictive = fit.weights @ simulated
    z = (predictive - observed) / scale
    result = result_type(
        values={n: float(m) for n, m in zip(names, mean, strict=True)},
        loss=float(np.sum(weights * z ** 2)),
        evaluations=fit.simulations,
        simulated=predictive.tolist(),
        target_sd=obs_sd.tolist(),
        posterior_sd={n: float(s) for n, s in zip(names, sd, strict=True)},
        not_identified=not_moved,
        posterior=sample,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        replay_until_year=last,
        history=history + [f"noise sd of the simulated targets (pilot of {config.pilot_draws} draws at the prior "
                           "median): " + ", ".join(f"{t.observed or t.variable} {s:,.4g}"
                                                   for t, s in zip(config.target, fit.sim_sd, strict=True))],
    )
    result_band = [(float(np.percentile(simulated[:, i], 5)), float(np.percentile(simulated[:, i], 95)))
                   for i in range(len(config.target))]
    object.__setattr__(result, "sensitivity", np.zeros((0, 0)))
    result.history.append("posterior predictive P5-P95 of the targets: " + "; ".join(
        f"{t.observed or t.variable} {lo:,.4g}-{hi:,.4g}" for t, (lo, hi) in zip(config.target, result_band, strict=True)))
    return result


def abc_identification_rows(result, config) -> list[dict[str, object]]:
    """Per parameter: the prior's and the posterior's mean and sd, their ratio, and whether the data moved it."""
    rows: list[dict[str, object]] = []
    for p in config.parameter:
        prior_sd, post_sd = result.prior_sd[p.path], result.posterior_sd[p.path]
        rows.append({
            "parameter": p.path,
            "prior_mean": result.prior_mean[p.path],
            "prior_sd": prior_sd,
            "posterior_mean": result.values[p.path],
            "posterior_sd": post_sd,
            "sd_ratio": post_sd / prior_sd if prior_sd > 0 else math.nan,
            "shift_in_prior_sds": (result.values[p.path] - result.prior_mean[p.path]) / prior_sd if prior_sd > 0 else math.nan,
            "moved_by_data": p.path not in result.not_identified,
        })
    return rows


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def posterior_path(out: Path) -> Path:
    """Where the posterior sample of the fitted file `out` is written."""
    return out.with_name(out.stem + ".posterior.csv")


def write_abc_fitted(out: Path, scenario_path: Path, name: str, result, config) -> None:
    """Write the posterior sample and the fitted scenario that names it (each atomically)."""
    from sim.runner.staging import write_text_file
    from sim.scenario.posterior import NOISE_COLUMNS, WEIGHT_COLUMN

    sample = result.posterior
    csv_path = posterior_path(out)
    header = ",".join(list(sample.names) + [WEIGHT_COLUMN, *NOISE_COLUMNS])
    body = "\n".join(",".join([repr(float(v)) for v in list(row) + [w]] + [str(int(k)) for k in key])
                      for row, w, key in zip(sample.values, sample.weights, sample.noise, strict=True))
    write_text_file(csv_path, header + "\n" + body + "\n")
    rel = os.path.relpath(scenario_path, out.parent.resolve())
    targets = ", ".join(t.observed or f"{t.variable} {t.year}" for t in config.target)
    lines = [f"# Fitted by `sim calibrate` (abc-smc): {len(sample.weights)} particles, {result.evaluations} model draws "
             f"in all, seed {config.seed}.",
             f"# Observations up to {config.fit_until_year}: {targets}.",
             "# History:"]
    lines += [f"#   {h}" for h in result.history]
    lines.append("# Targets: observed +- sd -> posterior predictive mean:")
    for i, (t, s) in enumerate(zip(config.target, result.simulated, strict=True)):
        lines.append(f"#   {t.observed or t.variable}: {t.value:,.6g} +- {result.target_sd[i]:,.4g} -> {s:,.6g}  ({t.source})")
    lines.append("# Identification: prior mean (sd) -> posterior mean (sd); 'not moved': the data leave the prior.")
    for row in abc_identification_rows(result, config):
        flag = "moved" if row["moved_by_data"] else "NOT MOVED by the data"
        lines.append(f"#   {row['parameter']}: {row['prior_mean']:.4g} ({row['prior_sd']:.3g}) -> "
                     f"{row['posterior_mean']:.4g} ({row['posterior_sd']:.3g}), sd ratio {row['sd_ratio']:.2f}: {flag}")
    lines += [f'extends = "{rel}"', f'name = "{name}"', "", "[calibration]",
              f'posterior_csv = "{csv_path.name}"',
              "# Each draw replays the random numbers of its row's particle up to this year (the last one",
              "# the fit simulated), so its forecast starts from a state the fit accepted; fresh after.",
              f"replay_until_year = {result.replay_until_year}"]
    for p in config.parameter:
        moved = p.path not in result.not_identified
        text = (f"fitted by sim calibrate (abc-smc, {len(sample.weights)} particles) to the observations up to "
                f"{config.fit_until_year} ({targets}): posterior mean {result.values[p.path]:.4g}, sd "
                f"{result.posterior_sd[p.path]:.3g} against the prior's {result.prior_sd[p.path]:.3g}"
                + ("" if moved else "; NOT MOVED by the data: the spread is the prior's assumption")
                + f"; each draw takes a row of {csv_path.name}")
        lines += ["", f'[parameter_sources."{p.path}"]', f"source = {_toml_string(text)}"]
    write_text_file(out, "\n".join(lines) + "\n")
