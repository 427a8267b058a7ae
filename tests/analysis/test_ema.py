"""The EMA Workbench adapter: experiments and PRIM scenario discovery on `sim` runs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("ema_workbench")

from sim.analysis.ema import ema_name, sim_model  # noqa: E402
from sim.errors import SimError  # noqa: E402

LEVER = 'instruments."hydrogen.6.first_of_kind_domestic".share_of_cap_paid'
OUTCOME = "outlay:program=hydrogen.6.first_of_kind_domestic"


def test_the_model_has_the_scenarios_uncertainties_levers_and_outcomes(minimal_path):
    model = sim_model(minimal_path, outcomes=[OUTCOME], levers={LEVER: (0.2, 1.0)})
    (u,) = model.uncertainties
    assert u.name == "projects_streams_hydrogen_6_first_of_kind_domestic_arrivals_per_year"
    assert (u.lower_bound, u.upper_bound) == (1.0, 4.0)  # uniform(1, 4)
    assert [lev.name for lev in model.levers] == [ema_name(LEVER)]
    assert [o.name for o in model.outcomes] == [ema_name(OUTCOME)]


def test_the_lever_scales_what_is_paid_at_the_same_uncertainties(minimal_path):
    model = sim_model(minimal_path, outcomes=[OUTCOME], levers={LEVER: (0.2, 1.0)})
    u, lev, out = model.uncertainties[0].name, model.levers[0].name, model.outcomes[0].name
    full = model.function(**{u: 3.0, lev: 1.0})[out]
    half = model.function(**{u: 3.0, lev: 0.5})[out]
    assert full > 0
    # Policies meet the same random numbers, so half the share of the cap pays half as much.
    assert half == pytest.approx(0.5 * full)
    assert model.function(**{u: 3.0, lev: 0.5})[out] == half


def test_the_model_function_pickles_for_emas_multiprocessing_evaluator(minimal_path):
    import pickle

    model = sim_model(minimal_path, outcomes=[OUTCOME])
    u, out = model.uncertainties[0].name, model.outcomes[0].name
    clone = pickle.loads(pickle.dumps(model.function))
    assert clone(**{u: 2.5})[out] == model.function(**{u: 2.5})[out]


def test_outcomes_that_map_to_one_ema_name_are_refused(minimal_path):
    with pytest.raises(SimError, match="two outcomes map to the same EMA name"):
        sim_model(minimal_path, outcomes=["outlay:program=hydrogen.6.*", "outlay:program=hydrogen?6?*"])


def test_prim_finds_a_box_of_experiments_with_high_outlay(minimal_path):
    from ema_workbench import SequentialEvaluator, perform_experiments
    from ema_workbench.analysis import prim

    # Three draws an experiment: a single draw's arrivals are noisy enough that PRIM found no
    # peel in 1 of 20 samples (4 in 40 at 20 scenarios); with 3, 3 in 260. EMA's Latin
    # hypercube samples from NumPy's global generator, so the seed makes the sample fixed.
    model = sim_model(minimal_path, outcomes=[OUTCOME], levers={LEVER: (0.2, 1.0)}, replicates=3)
    saved = np.random.get_state()
    np.random.seed(20221)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with SequentialEvaluator(model) as evaluator:
                experiments, outcomes = perform_experiments(model, scenarios=12, policies=2, evaluator=evaluator)
        finally:
            np.random.set_state(saved)
        y = outcomes[ema_name(OUTCOME)]
        assert len(y) == 24 and np.ptp(y) > 0
        x = experiments[[model.uncertainties[0].name, model.levers[0].name]]
        box = prim.Prim(x, y > np.quantile(y, 0.6), threshold=0.6).find_box()
    trajectory = box.peeling_trajectory
    # A box was peeled: denser in high-outlay experiments than the whole set.
    assert len(trajectory) > 1 and trajectory["density"].iloc[-1] > trajectory["density"].iloc[0]


def test_a_bad_outcome_is_refused_before_any_experiment(minimal_path):
    with pytest.raises(SimError, match="--output no_such_output: unknown output"):
        sim_model(minimal_path, outcomes=["no_such_output"])


# Levers are checked when the model is built, as `sim sweep` checks its key (issue 24, Deliver 6),
# not when an experiment inside EMA fails.
@pytest.mark.parametrize(("levers", "message"), [
    ({LEVER.replace("paid", "payd"): (0.2, 1.0)},
     'ema: lever instruments."hydrogen.6.first_of_kind_domestic".share_of_cap_payd: unknown key '
     "(did you mean 'share_of_cap_paid'?)"),
    ({"firms.nosuch": (0.0, 1.0)}, "ema: lever firms.nosuch: unknown key"),
    ({LEVER: (1.0, 0.2)}, f"ema: lever {LEVER}: low must be below high (got (1.0, 0.2))"),
    ({LEVER: (0.5, 0.5)}, f"ema: lever {LEVER}: low must be below high (got (0.5, 0.5))"),
    ({LEVER: (float("nan"), 1.0)}, f"ema: lever {LEVER}: low must be a finite number (got nan)"),
    ({LEVER: (0.2, float("inf"))}, f"ema: lever {LEVER}: high must be a finite number (got inf)"),
    ({LEVER: ("0.2", 1.0)}, f"ema: lever {LEVER}: low must be a finite number (got '0.2')"),
    ({LEVER: (True, 1.0)}, f"ema: lever {LEVER}: low must be a finite number (got True)"),
    ({LEVER: (0.2,)}, f"ema: lever {LEVER}: the range must be a pair (low, high) (got (0.2,))"),
    ({LEVER: (0.2, 5.0)}, f"ema: lever {LEVER} = 5: {LEVER}: Input should be less than or equal to 1 (got 5.0)"),
    ({LEVER: (-1.0, 0.5)}, f"ema: lever {LEVER} = -1: {LEVER}: Input should be greater than or equal to 0"),
    ({"ensemble": (1.0, 2.0)}, "ema: lever ensemble: ensemble is a table, not a value; give one of its keys"),
])
def test_a_bad_lever_is_refused_when_the_model_is_built(minimal_path, levers, message):
    with pytest.raises(SimError) as info:
        sim_model(minimal_path, outcomes=[OUTCOME], levers=levers)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


def test_a_lever_path_without_quotes_runs_the_key_it_names(minimal_path):
    unquoted = LEVER.replace('"', "")
    model = sim_model(minimal_path, outcomes=[OUTCOME], levers={unquoted: (0.2, 1.0)})
    u, lev, out = model.uncertainties[0].name, model.levers[0].name, model.outcomes[0].name
    low = model.function(**{u: model.uncertainties[0].lower_bound, lev: 0.2})[out]
    high = model.function(**{u: model.uncertainties[0].lower_bound, lev: 1.0})[out]
    assert low <= high
