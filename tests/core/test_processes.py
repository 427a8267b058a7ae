"""Within-year processes: staged tasks on a simpy calendar (construction lead times, milestones)."""

import datetime as dt

import pytest

from sim.core.processes import StagedTask, add_days, run_staged_tasks


def test_single_stage_ends_after_its_duration():
    ends = run_staged_tasks([StagedTask(7, dt.date(2024, 3, 1), (30.0,))])
    assert ends == {7: [dt.date(2024, 3, 31)]}


def test_stages_run_in_sequence_and_fractions_are_floored():
    ends = run_staged_tasks([StagedTask(0, dt.date(2023, 1, 1), (10.5, 20.0))])
    assert ends[0] == [dt.date(2023, 1, 11), dt.date(2023, 1, 31)]


def test_servers_make_tasks_queue():
    tasks = [StagedTask(0, dt.date(2023, 1, 1), (100.0,)), StagedTask(1, dt.date(2023, 1, 1), (100.0,))]
    free = run_staged_tasks(tasks)
    queued = run_staged_tasks(tasks, servers=1)
    assert free[1] == [add_days(dt.date(2023, 1, 1), 100)]
    assert queued[1] == [add_days(dt.date(2023, 1, 1), 200)]


def test_until_leaves_unfinished_stages_open():
    ends = run_staged_tasks([StagedTask(0, dt.date(2023, 1, 1), (10.0, 400.0))], until=dt.date(2023, 12, 31))
    assert ends[0] == [dt.date(2023, 1, 11), None]


def test_bad_inputs_raise_with_the_value():
    with pytest.raises(ValueError, match=r"stage duration \(=-1.0\)"):
        run_staged_tasks([StagedTask(0, dt.date(2023, 1, 1), (-1.0,))])
    with pytest.raises(ValueError, match="distinct"):
        run_staged_tasks([StagedTask(0, dt.date(2023, 1, 1), (1.0,))] * 2)
    with pytest.raises(ValueError, match=r"servers \(=0\)"):
        run_staged_tasks([], servers=0)


def test_the_uncontended_calendar_equals_simpy_s_day_for_day():
    # Without servers or a cut-off no task waits: the stage ends are sums of durations. They must
    # equal what simpy's clock gives, to the day (the reference: servers large enough never to bind).
    import random

    rng = random.Random(7)
    tasks = [StagedTask(i, dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(366)),
                        tuple(rng.uniform(0.0, 400.0) for _ in range(rng.randrange(1, 4))))
             for i in range(300)]
    fast = run_staged_tasks(tasks)
    reference = run_staged_tasks(tasks, servers=len(tasks))
    assert fast == reference
    assert len({d for ends in fast.values() for d in ends}) > 100
