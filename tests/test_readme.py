"""README documents what users type and read: the CSV columns, the reading of bands, the parameter reference."""

from __future__ import annotations

from pathlib import Path

from sim.populations.firms.population import FIRM_COLUMNS
from sim.populations.hydrogen.stations import STATION_COLUMNS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_csv_column_has_a_row_in_the_readme():
    names = list(FIRM_COLUMNS) + [c.name for c in STATION_COLUMNS]
    missing = [n for n in names if f"| `{n}` |" not in README]
    assert not missing, missing


def test_readme_explains_draws_percentiles_means_and_p_above_zero():
    section = README[README.index("### Reading the numbers"):README.index("## Writing a scenario")]
    for word in ("draws", "P5", "P95", "mean", "P(> 0)"):
        assert word in section, word


def test_readme_points_to_sim_parameters_and_the_entrants_switch():
    assert "`sim parameters SCENARIO.toml` is the reference of every behavioural key" in README
    assert "synthetic_entrants = false" in README


def test_readme_documents_years_on_run_report_compare_export():
    import re

    import pytest

    from sim.arguments import parse_years
    from sim.errors import ArgumentError

    for command in ("run SCENARIO.toml", "compare A.toml", "report DIR", "export DIR", "sweep SCENARIO.toml"):
        row = next(line for line in README.splitlines() if line.startswith(f"| `sim {command}"))
        assert "[--years FIRST-LAST]" in row, command
    section = README[README.index("### Totals over chosen years"):README.index("## Output folders")]
    shown = re.search(r"`(--years: 2020-2024 [^`]*)`", section)
    assert shown is not None
    with pytest.raises(ArgumentError) as refused:
        parse_years("2020-2024", list(range(2022, 2031)))
    assert str(refused.value) == shown.group(1)
