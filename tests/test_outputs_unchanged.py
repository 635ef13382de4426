"""The README's main jobs write the same numbers as the golden run (a structural change must not
change results). The golden summaries were made with ``tests/output_check.py`` from the CLI run
below, and regenerated on 2026-12-02 when the default became Hackney fitted to 2022, and again
the same day when totals moved to their own tables, financial years became "2022/23" and money
columns got "_gbp" (every number checked equal to the previous layout's first), and on
2026-12-05 for two new outputs: the sufficiency table and the example file's seventh scenario
(every earlier scenario's numbers checked equal to the previous golden's first), and on
2026-12-06 when the default was refitted (the corrected transition probabilities, entrants month
by month, ages on ceasing observed, priors refitted; same files and columns). Regenerate
them only for a change that is meant to change results, and say so in its commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from output_check import differences, summarise

from placecast.cli import main

GOLDEN = Path(__file__).parent / "data" / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SMALL = ["--paths", "120", "--months", "36", "--seed", "3", "--no-charts"]


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("fc", ["forecast"]),
        ("cmp", ["compare", str(EXAMPLES / "hackney_scenarios.toml")]),
    ],
)
def test_main_jobs_write_the_golden_numbers(tmp_path, name, command, capsys):
    out = tmp_path / name
    assert main([*command, *SMALL, "--out", str(out)]) == 0
    capsys.readouterr()
    golden = json.loads((GOLDEN / f"{name}_paths120_months36_seed3.json").read_text())
    now = summarise(out)
    assert now["csv"] and now["netcdf"]  # the comparison compared something
    assert differences(now, golden) == []


def test_the_check_sees_a_changed_number(tmp_path):
    """The comparison is not vacuous: one changed cell is reported."""
    golden = json.loads((GOLDEN / "fc_paths120_months36_seed3.json").read_text())
    changed = json.loads(json.dumps(golden))
    column = changed["csv"]["scenario_table.csv"]["cost_mean_gbp"]
    column[0] = column[0] * (1 + 1e-9)
    assert differences(changed, golden) == [
        "/csv/scenario_table.csv/cost_mean_gbp: 1 values differ"
    ]
