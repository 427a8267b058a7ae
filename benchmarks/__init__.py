"""The benchmark suite of `sim`: ``python -m benchmarks [--quick] [--out FILE.json]``.

Each ``benchmarks/bench_*.py`` module exposes ``run(quick: bool) -> list[Measurement]``. The
runner prints a table and writes JSON with name, value, unit and, where the benchmark has a
reference, the reference's value and the ratio. No benchmark asserts a time: targets are reported,
and the quick mode (run by ``make test``) only keeps the suite from rotting.
"""
