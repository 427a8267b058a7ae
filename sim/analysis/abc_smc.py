"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), on whole ensembles at once.

The posterior of the fitted parameters given the observed targets is approximated by populations
of particles (parameter vectors) accepted at shrinking tolerances (Toni et al. 2009; weights and
kernel of Beaumont et al. 2009, "Adaptive approximate Bayesian computation"; the tolerance of
each generation the median distance of the last, as pyABC does by default):

1. generation 0 draws the particles from the prior (the scenario's distributions);
2. each later generation proposes a particle of the last population (picked by weight), moved by
   a normal kernel with twice the population's weighted covariance, simulates it once, and
   accepts it if its distance to the observations is within the tolerance; the accepted
   particle's weight is ``prior(theta) / sum_j w_j K(theta | theta_j)``.

Each simulated particle is one draw of the model with its own random numbers (one realisation of
the firms, stations and shocks), so the posterior carries the model's own noise. The distance is

    d = sqrt( sum_i v_i ((s_i - y_i) / sigma_i)^2 / sum_i v_i ),  sigma_i^2 = sd_obs_i^2 + sd_sim_i^2,

``s`` the simulated and ``y`` the observed targets, ``v`` the targets' weights, ``sd_obs`` the
observation's sd and ``sd_sim`` the sd of the simulated target between draws at the prior's
median (a pilot of common random numbers: the same draws at the same parameters): a target the
model cannot simulate more precisely than its own noise is not asked to.

Why not pyABC: pyABC calls the model once per particle and keeps its history in a database. Here
a whole batch of particles runs as one ensemble (a :class:`~sim.runner.design.ParameterDesign`,
row ``k`` the particle, its noise the draw ``k`` of a counter that runs over the whole fit), which
costs one scenario load per batch instead of one per particle, and the run is a deterministic
function of the seed, so a fresh clone reproduces the shipped posterior exactly on the same
libraries. The algorithm is pyABC's default one (median epsilon, multivariate normal kernel with
twice the weighted covariance, importance weights against the prior).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

__all__ = ["Prior", "AbcResult", "AbcTargets", "abc_smc", "weighted_quantile", "regression_adjusted",
           "within_tolerance"]


@dataclass(frozen=True)
class Prior:
    """A parameter's prior: a scipy frozen distribution truncated to [low, high]."""

    name: str
    dist: object
    low: float
    high: float

    def _mass(self) -> tuple[float, float]:
        return float(self.dist.cdf(self.low)), float(self.dist.cdf(self.high))  # type: ignore[attr-defined]

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities `u` of the truncated prior."""
        a, b = self._mass()
        return np.asarray(self.dist.ppf(a + u * (b - a)), dtype=np.float64)  # type: ignore[attr-defined]

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density of the truncated prior (-inf outside [low, high])."""
        a, b = self._mass()
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore"):
            out = np.asarray(self.dist.logpdf(x), dtype=np.float64) - math.log(max(b - a, 1e-300))  # type: ignore[attr-defined]
        return np.where((x >= self.low) & (x <= self.high), out, -np.inf)

    def sd(self, n: int = 4001) -> float:
        """The truncated prior's standard deviation (by quantiles)."""
        x = self.sample((np.arange(n) + 0.5) / n)
        return float(x.std())


@dataclass
class AbcResult:
    """The last population and the history of the fit.

    Attributes
    ----------
    names : list of str
    particles : numpy.ndarray
        (population, parameters) accepted values of the last generation.
    weights : numpy.ndarray
        Their normalised importance weights.
    distances : numpy.ndarray
        Their distances.
    simulated : numpy.ndarray
        (population, targets) simulated targets of the accepted particles.
    tolerances : list of float
        The tolerance of each generation (inf for generation 0).
    acceptance : list of float
        Accepted / simulated, per generation.
    simulations : int
        Model draws run, pilot included.
    sim_sd : numpy.ndarray
        The simulated targets' sd between draws at the prior's median (the pilot).
    prior_sample : numpy.ndarray
        Generation 0: the prior's particles (for the identification report).
    draws : numpy.ndarray
        (population,) the noise draw each accepted particle was simulated with: rerun at its
        values with that draw, the model gives its simulated targets again.
    """

    names: list[str]
    particles: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    simulated: np.ndarray
    tolerances: list[float] = field(default_factory=list)
    acceptance: list[float] = field(default_factory=list)
    simulations: int = 0
    sim_sd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    prior_sample: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    draws: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The `q` quantile of values `x` with weights `w`."""
    order = np.argsort(x)
    cw = np.cumsum(w[order])
    return float(x[order][min(int(np.searchsorted(cw, q * cw[-1])), len(x) - 1)])


class AbcTargets(NamedTuple):
    """The targets of a fit, each (targets,): observed values, their sds and their weights."""

    observed: np.ndarray
    sd: np.ndarray
    weights: np.ndarray


def _to_unbounded(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """A parameter on a scale without bounds: logit between two finite bounds, log above one, else itself."""
    if math.isfinite(low) and math.isfinite(high):
        u = np.clip((x - low) / (high - low), 1e-9, 1.0 - 1e-9)
        return np.log(u / (1.0 - u))
    if math.isfinite(low):
        return np.log(np.maximum(x - low, 1e-300))
    return np.asarray(x, dtype=np.float64)


def _from_unbounded(t: np.ndarray, low: float, high: float) -> np.ndarray:
    if math.isfinite(low) and math.isfinite(high):
        return low + (high - low) / (1.0 + np.exp(-t))
    if math.isfinite(low):
        return low + np.exp(t)
    return t


def regression_adjusted(priors: list[Prior], particles: np.ndarray, weights: np.ndarray, simulated: np.ndarray,
                        observed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Particles moved by a local-linear regression on their simulated targets (Beaumont et al. 2002).

    Within the tolerance a particle's targets still miss the observations, and its parameters
    carry the miss: one whose little giants came out low tends to have a low batch size. The
    weighted least-squares fit ``theta = a + b' z`` over the last population, with ``z = (s - y) /
    scale`` the standardised misses, estimates that dependence, and ``theta - b' z`` is where
    each particle would sit had it hit the observations: an approximation of the posterior at
    zero tolerance, sharper than the population (Beaumont, Zhang and Balding 2002, "Approximate
    Bayesian computation in population genetics", Genetics 162). Each parameter is regressed on
    an unbounded scale (logit within its prior's bounds, as the R package ``abc`` does), so the
    adjusted values stay within them.

    Parameters
    ----------
    priors : list of Prior
        The fitted parameters' priors (for their bounds).
    particles : numpy.ndarray
        (population, parameters) the last population.
    weights : numpy.ndarray
        (population,) its normalised importance weights.
    simulated : numpy.ndarray
        (population, targets) its simulated targets.
    observed, scale : numpy.ndarray
        (targets,) the observations and the scale of a miss (the distance's sigma).

    Returns
    -------
    numpy.ndarray
        (population, parameters) the adjusted particles.
    """
    z = (np.asarray(simulated, dtype=np.float64) - observed) / scale
    design = np.column_stack([np.ones(len(weights)), z])
    root = np.sqrt(np.asarray(weights, dtype=np.float64))[:, None]
    out = np.empty_like(particles, dtype=np.float64)
    for j, prior in enumerate(priors):
        t = _to_unbounded(particles[:, j], prior.low, prior.high)
        coef = np.linalg.lstsq(design * root, t * root[:, 0], rcond=None)[0]
        out[:, j] = _from_unbounded(t - z @ coef[1:], prior.low, prior.high)
    return out


def _distance(simulated: np.ndarray, observed: np.ndarray, scale: np.ndarray, target_weights: np.ndarray) -> np.ndarray:
    v = target_weights / target_weights.sum()
    z = (np.asarray(simulated, dtype=np.float64) - observed) / scale
    return np.asarray(np.sqrt(np.sum(v * z ** 2, axis=1)))


def within_tolerance(simulated: np.ndarray, targets: AbcTargets, scale: np.ndarray, tolerance: float) -> np.ndarray:
    """Whether each row of simulated targets lies within `tolerance` of the observations (the fit's distance).

    ``sqrt(sum_i v_i ((s_i - y_i) / scale_i)^2 / sum_i v_i) <= tolerance``, with ``v`` the targets'
    weights and ``scale`` the distance's sigma.
    """
    return _distance(simulated, targets.observed, scale, targets.weights) <= tolerance


def abc_smc(
    priors: list[Prior],
    targets: AbcTargets,
    simulate: Callable[[np.ndarray, np.ndarray], np.ndarray],
    population: int,
    generations: int,
    pilot_draws: int,
    seed: int,
    min_acceptance: float = 0.02,
    max_simulations: int = 100_000,
    progress: Callable[[str], None] | None = None,
) -> AbcResult:
    """Run ABC-SMC.

    Parameters
    ----------
    priors : list of Prior
    targets : AbcTargets
        Observed values, their sds and weights.
    simulate : callable
        ``simulate(values, draws)``: (n, parameters) values and (n,) noise draw indices to
        (n, targets) simulated targets, one model draw per row.
    population : int
        Particles per generation.
    generations : int
        Most generations after generation 0.
    pilot_draws : int
        Draws of the pilot at the prior's median (noise of the simulated targets).
    seed : int
        Seed of the proposals and acceptances (the model's own noise is keyed by draw index).
    min_acceptance : float
        Stop when a generation accepts fewer than this share of its simulations.
    max_simulations : int
        Stop before a generation that could exceed this many simulations in all.
    progress : callable, optional
        Told one line per generation.

    Returns
    -------
    AbcResult
    """
    observed, obs_sd, target_weights = targets
    rng = np.random.default_rng(seed)
    k = len(priors)
    counter = 0

    def run(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nonlocal counter
        draws = np.arange(counter, counter + len(values), dtype=np.int64)
        counter += len(values)
        return np.asarray(simulate(values, draws), dtype=np.float64), draws

    # Pilot: the model's noise at the prior's median, common random numbers (the same parameters).
    median = np.array([p.sample(np.array([0.5]))[0] for p in priors])
    pilot, _ = run(np.tile(median, (pilot_draws, 1)))
    sim_sd = pilot.std(axis=0, ddof=1) if pilot_draws > 1 else np.zeros(len(observed))
    sigma = np.sqrt(obs_sd ** 2 + sim_sd ** 2)

    def distance(sims: np.ndarray) -> np.ndarray:
        return _distance(sims, observed, sigma, target_weights)

    u = (rng.permuted(np.tile(np.arange(population), (k, 1)), axis=1).T + rng.random((population, k))) / population
    theta = np.column_stack([p.sample(u[:, j]) for j, p in enumerate(priors)])  # Latin hypercube on the prior
    sims, noise = run(theta)
    dist = distance(sims)
    weights = np.full(population, 1.0 / population)
    result = AbcResult([p.name for p in priors], theta, weights, dist, sims, [math.inf], [1.0], counter, sim_sd,
                       theta.copy(), noise)
    if progress is not None:
        progress(f"generation 0: {population} particles from the prior; median distance {np.median(dist):.3g}")
    for g in range(1, generations + 1):
        eps = weighted_quantile(result.distances, result.weights, 0.5)
        cov = 2.0 * np.atleast_2d(np.cov(result.particles.T, aweights=result.weights))
        # A jitter relative to each parameter's own variance: parameters differ by 14 orders of
        # magnitude (a revenue in CNY, a hazard), so one absolute jitter would swamp the small ones.
        cov += np.diag(1e-9 * np.maximum(np.diag(cov), 1e-300))
        chol = np.linalg.cholesky(cov)
        inv = np.linalg.inv(cov)
        accepted_t: list[np.ndarray] = []
        accepted_s: list[np.ndarray] = []
        accepted_d: list[np.ndarray] = []
        accepted_n: list[np.ndarray] = []
        tried = 0
        rate = result.acceptance[-1] if g > 1 else 0.5
        while int(sum(a.shape[0] for a in accepted_t)) < population:
            need = population - int(sum(a.shape[0] for a in accepted_t))
            batch = int(min(max(need / max(rate, min_acceptance) * 1.2, 16), 4 * population))
            if counter + batch > max_simulations:
                break
            picks = rng.choice(len(result.weights), size=batch * 4, p=result.weights)
            moved = result.particles[picks] + rng.standard_normal((batch * 4, k)) @ chol.T
            inside = np.all(np.isfinite(np.column_stack([p.logpdf(moved[:, j]) for j, p in enumerate(priors)])), axis=1)
            moved = moved[inside][:batch]
            if len(moved) == 0:
                continue
            s, noise = run(moved)
            d = distance(s)
            tried += len(moved)
            ok = d <= eps
            accepted_t.append(moved[ok])
            accepted_s.append(s[ok])
            accepted_d.append(d[ok])
            accepted_n.append(noise[ok])
            rate = max(int(sum(a.shape[0] for a in accepted_t)) / tried, 1e-3)
        n_ok = int(sum(a.shape[0] for a in accepted_t))
        if n_ok < population:
            if progress is not None:
                progress(f"generation {g}: stopped, the budget of {max_simulations} simulations is spent")
            break
        theta = np.concatenate(accepted_t)[:population]
        sims = np.concatenate(accepted_s)[:population]
        dist = np.concatenate(accepted_d)[:population]
        noise = np.concatenate(accepted_n)[:population]
        log_prior = np.sum(np.column_stack([p.logpdf(theta[:, j]) for j, p in enumerate(priors)]), axis=1)
        diff = theta[:, None, :] - result.particles[None, :, :]
        kernel = np.exp(-0.5 * np.einsum("abi,ij,abj->ab", diff, inv, diff))
        denom = kernel @ result.weights
        w = np.exp(log_prior - log_prior.max()) / np.maximum(denom, 1e-300)
        w = w / w.sum()
        acceptance = population / tried
        result = AbcResult(result.names, theta, w, dist, sims, result.tolerances + [eps],
                           result.acceptance + [acceptance], counter, sim_sd, result.prior_sample, noise)
        if progress is not None:
            ess = 1.0 / float(np.sum(w ** 2))
            progress(f"generation {g}: tolerance {eps:.3g}, acceptance {acceptance:.2f}, effective sample {ess:.0f}, "
                     f"{counter} simulations")
        if acceptance < min_acceptance:
            break
    result.simulations = counter
    return result

