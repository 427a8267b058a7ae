"""The yearly step of one draw, as a :class:`mesa.Model`.

The model owns the draw's ledger, its output recorder and one ``numpy.random.Generator`` spawned
from ``SeedSequence(seed)`` by draw index (for initial populations); kernels use the
counter-based generator of :mod:`sim.core.rng`. Each ``step()`` advances one calendar year:
every component steps in a fixed order (incubators feed firms, firms and stations claim), then the
ledger settles the year's payments under the budget lines.
"""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np

from sim.core.component import C, Component
from sim.core.ledger import Ledger
from sim.core.outputs import DrawRecorder, VariableSpec
from sim.core.rng import NoiseKey, keyed_generator
from sim.policy.claims import ClaimDesk
from sim.policy.policyset import PolicySet
from sim.populations import active_components
from sim.runner.assembly import ledger_variables
from sim.scenario.parameters import draw_value
from sim.scenario.schema import Scenario

__all__ = ["PolicyModel"]


class PolicyModel(mesa.Model):
    """One draw of a scenario, stepped year by year.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    policy : PolicySet
        Its resolved programmes and budget lines.
    draw : int
        Draw index; with the scenario's seed it fixes every random number of the draw.
    specs : list of VariableSpec, optional
        Output variables (default: those of the ledger and the active components).
    sizes : dict, optional
        Dimension lengths (default: from the components' coordinates).
    given : mapping of str to float, optional
        Values of uncertain parameters, by dotted path, used instead of drawing them (a
        sensitivity design sets them; the others are drawn as usual).

    Attributes
    ----------
    ledger : Ledger
    claims : ClaimDesk
        Where the components file the facts of their recipients; the instrument kinds pay on them.
    budget_lines : list of BudgetLine
        The payers' budget lines, as Mesa agents deciding each year's payments.
    recorder : DrawRecorder
    components : list of Component
    parameters : dict of str to float
        Value drawn for each uncertain behavioural parameter, by dotted path.
    """

    def __init__(
        self,
        scenario: Scenario,
        policy: PolicySet,
        draw: int,
        specs: list[VariableSpec] | None = None,
        sizes: dict[str, int] | None = None,
        given: Mapping[str, float] | None = None,
    ):
        self.scenario = scenario
        self.policy = policy
        self.draw = int(draw)
        self.seed = int(scenario.ensemble.seed)
        self.years = list(policy.years)
        self._given = dict(given or {})
        self._own_noise = NoiseKey(self.seed, self.draw)
        self._particle_noise, self._replay_until = self._own_noise, self.years[0] - 1
        if scenario.calibration is not None:
            from sim.scenario.posterior import posterior_row_index, read_posterior

            # The fitted parameters come jointly from one row of the posterior sample; a design's
            # values (a sensitivity run) take precedence over the row's.
            sample = read_posterior(scenario.calibration.posterior_csv)
            row = posterior_row_index(sample, self.seed, self.draw)
            self._given = dict(zip(sample.names, map(float, sample.values[row]), strict=True)) | self._given
            until = scenario.calibration.replay_until_year
            if until is not None and sample.noise is not None:
                self._particle_noise = NoiseKey(int(sample.noise[row, 0]), int(sample.noise[row, 1]))
                self._replay_until = int(until)
        super().__init__(rng=keyed_generator(*self.noise))
        classes = active_components(scenario)
        if specs is None or sizes is None:
            from sim.runner.assembly import coordinates

            coords = coordinates(scenario, policy)
            sizes = {k: len(v) for k, v in coords.items()}
            specs = ledger_variables() + [v for cls in classes for v in cls.variables(scenario, policy)]
        self.parameters: dict[str, float] = {}
        from sim.runner.budget_lines import BudgetLine

        self.budget_lines = [BudgetLine(self, spec, i) for i, spec in enumerate(policy.lines)]
        self.ledger = Ledger(policy, self.budget_lines)
        self.claims = ClaimDesk(policy, self.ledger, scenario.macro.rates_by_year(self.years))
        self.recorder = DrawRecorder(specs, sizes)
        self.components: list[Component] = [cls(self) for cls in classes]

    def param(self, path: str, value) -> float:
        """Value of a behavioural parameter in this draw, remembered under its dotted path.

        A fixed number is returned as is; a distribution is drawn, unless the model was given a
        value for `path`.
        """
        if isinstance(value, (int, float)):
            return float(value)
        # Parameters are the particle's too: with its random numbers they made the state it replays.
        v = self._given[path] if path in self._given else draw_value(value, *self.noise, path)
        self.parameters[path] = v
        return v

    def peer(self, cls: type[C]) -> C:
        """The active component of class `cls` (:meth:`sim.core.component.Component.peer`).

        Raises
        ------
        KeyError
            If none is active in the scenario.
        """
        for component in self.components:
            if isinstance(component, cls):
                return component
        raise KeyError(f"no active [{cls.section}] component in this scenario")

    def component(self, section: str) -> Component:
        """The active component of a scenario section (e.g. ``"firms"``).

        Raises
        ------
        KeyError
            If that section is not active in the scenario.
        """
        for component in self.components:
            if component.section == section:
                return component
        raise KeyError(f"no active [{section}] component in this scenario")

    @property
    def noise(self) -> NoiseKey:
        """The (seed, draw) keying the draw's numbers that belong to no year (initial populations,
        parameters, attributes of a slot): the particle's of its posterior row where the draw
        replays one (``[calibration] replay_until_year``, :mod:`sim.scenario.posterior`), else its own.
        """
        return self._particle_noise

    def noise_in(self, year: int) -> NoiseKey:
        """The (seed, draw) keying the draw's numbers of `year`: the particle's up to
        ``replay_until_year``, the draw's own after (and without a replay).
        """
        return self._particle_noise if year <= self._replay_until else self._own_noise

    @property
    def year(self) -> int:
        """The year the next ``step()`` simulates."""
        return self.years[self.steps]

    def step(self) -> None:
        """Simulate one calendar year; settle its payments."""
        year = self.years[self.steps - 1]
        for component in self.components:
            component.step(year)
        for component in self.components:
            component.finish_year(year)
        self.ledger.settle(year)

    def run(self) -> dict[str, np.ndarray]:
        """Step through the horizon and return the draw's outputs by variable name.

        The model is spent afterwards: Mesa's reference to it is dropped (:meth:`release`).
        """
        for _ in self.years:
            self.step()
        led = self.ledger
        for name in ("committed", "outlay", "unpaid", "forfeited", "pending", "wait_cny_years"):
            self.recorder[name] = getattr(led, name)
        self.recorder["budget_overrun"] = led.budget_overrun
        out = self.recorder.arrays | self.claims.payments()
        self.release()
        return out

    def release(self) -> None:
        """Let the model be freed once its last user drops it.

        Mesa 3 numbers agents by model in a class-level table (``mesa.Agent._ids``) that keeps
        every model ever made alive, with its populations: about 10 MB a baseline draw, so an
        ensemble's memory grew with draws x firms. Removing the entry frees the draw's state.
        """
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)

    def discard(self) -> None:
        """Free the draw's state now, once its outputs are taken.

        The model, its components and its agents refer to one another, so their arrays (firm
        state, cap tallies) would wait for Python's cycle collector, which runs seldom in a loop
        of draws (memory grew about 1 MB a draw). The model cannot be used afterwards.
        """
        self.release()
        ledger = self.__dict__.get("ledger")
        if ledger is not None:  # not yet discarded
            ledger.recycle()
        for component in self.components:
            component.__dict__.clear()
        for name in ("components", "budget_lines", "ledger", "claims", "recorder"):
            self.__dict__.pop(name, None)
