"""The claim desk (sim/policy/claims.py): routes worked out once a run per policy."""

from __future__ import annotations

import gc

import numpy as np
from conftest import make_policy

from sim.core.ledger import Ledger
from sim.policy import claims
from sim.policy.claims import ClaimDesk
from sim.policy.facts import ProjectApprovals

GRANT = "hydrogen.6.first_of_kind_domestic"


def _policy(in_force: list[str]):
    return make_policy({"horizon": {"first_year": 2023, "last_year": 2024}, "policy": {"in_force": in_force}})


def _approvals(program_id: str) -> ProjectApprovals:
    return ProjectApprovals("project", np.array([0, 1]), program_id, np.array([1e6, 2e6]),
                            np.full(2, "", dtype=object))


def test_draws_of_one_policy_share_its_routes_and_another_policy_has_its_own():
    with_grant, without = _policy([GRANT]), _policy(["hydrogen.13.*"])
    first, second = ClaimDesk(with_grant, Ledger(with_grant), {}), ClaimDesk(with_grant, Ledger(with_grant), {})
    assert first.file(_approvals(GRANT), 2023) and first._routes is second._routes
    other = ClaimDesk(without, Ledger(without), {})
    assert other._routes is not first._routes
    assert other.file(_approvals(GRANT), 2023) == []  # not in force under this policy
    # Both draws of the first policy are paid alike.
    assert [p.approved_cny.tolist() for p in second.file(_approvals(GRANT), 2023)] == \
           [p.approved_cny.tolist() for p in first.file(_approvals(GRANT), 2024)]


def test_the_routes_of_a_policy_go_with_it():
    policy = _policy([GRANT])
    ClaimDesk(policy, Ledger(policy), {}).file(_approvals(GRANT), 2023)
    key = id(policy)
    assert key in claims._ROUTES_BY_POLICY
    del policy
    gc.collect()
    assert key not in claims._ROUTES_BY_POLICY
