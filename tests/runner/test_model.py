"""The draw's model (sim/runner/model.py): what it leaves behind once run."""

from __future__ import annotations

import gc
import weakref

import mesa

from sim.runner.ensemble import layout_of
from sim.runner.model import PolicyModel


def test_a_run_model_is_freed_once_dropped(minimal):
    # Mesa keys a class-level table of agent counters by model; a run draw must not stay in it,
    # or an ensemble's memory grows by a whole population per draw.
    layout = layout_of(minimal)
    model = PolicyModel(minimal.scenario, minimal.policy, 0, layout.specs, layout.sizes)
    assert model in mesa.Agent._ids
    model.run()
    assert model not in mesa.Agent._ids
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_a_discarded_model_frees_its_populations_without_the_cycle_collector(minimal):
    layout = layout_of(minimal)
    model = PolicyModel(minimal.scenario, minimal.policy, 0, layout.specs, layout.sizes)
    out = model.run()
    ledger = weakref.ref(model.ledger)
    components = [weakref.ref(c) for c in model.components]
    assert components
    gc.disable()
    try:
        model.discard()
        del model
        assert ledger() is None
        assert all(c() is None or not vars(c()) for c in components)
    finally:
        gc.enable()
    assert out["outlay"].shape[0] == len(minimal.policy.years)  # the outputs stay the caller's
