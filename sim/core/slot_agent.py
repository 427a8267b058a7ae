"""Agents whose state lives in their component's arrays, one slot each (one source of truth)."""

from __future__ import annotations

import mesa

__all__ = ["SlotAgent"]


class SlotAgent(mesa.Agent):
    """A Mesa agent that reads and writes its component's arrays at index `slot`.

    Parameters
    ----------
    model : PolicyModel
    component : Component
        The component holding the arrays.
    slot : int
        The agent's index in those arrays.
    """

    def __init__(self, model, component, slot: int):
        super().__init__(model)
        self.component = component
        self.slot = slot

    def _get(self, array_name: str):
        """The agent's element of one of the component's arrays, as a Python scalar."""
        return getattr(self.component, array_name)[self.slot].item()
