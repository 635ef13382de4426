"""The benchmark scripts' bookkeeping that results depend on: resuming a run in progress."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench_rolling():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_rolling

        yield bench_rolling
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_a_run_in_progress_takes_added_variants_and_refuses_changed_ones(bench_rolling, tmp_path):
    parser = argparse.ArgumentParser()
    first = {"variants": {"base": {}, "a": {"trend_damping": 0.5}}, "settings": {"seed": 1}}
    bench_rolling._check_resume(tmp_path, first, parser, {})
    pd.DataFrame({"requested": ["E1", "E2", "E2"]}).to_csv(tmp_path / "origin_2017.csv")
    more = {**first, "variants": {**first["variants"], "b": {"forecast_shocks": "yearly"}}}
    bench_rolling._check_resume(tmp_path, more, parser, {})
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["variants"] == more["variants"]
    (added,) = record["variants_added"]  # when, what, and the councils not scored on it
    assert added["variants"] == {"b": {"forecast_shocks": "yearly"}}
    assert added["councils already done (not scored on these)"] == {"origin_2017": 2}
    bench_rolling._check_resume(tmp_path, more, parser, {})  # resumed as it is: nothing new
    assert len(json.loads((tmp_path / "run.json").read_text())["variants_added"]) == 1
    # A variant changed or dropped, or another setting, would mix two runs' rows: refused.
    for other in (
        {
            **first,
            "variants": {"base": {}, "a": {"trend_damping": 0.7}, "b": more["variants"]["b"]},
        },
        first,
        {**more, "settings": {"seed": 2}},
    ):
        with pytest.raises(SystemExit):
            bench_rolling._check_resume(tmp_path, other, parser, {})


def test_a_run_is_pinned_to_a_commit_once_and_then_resumes_with_it_only(bench_rolling, tmp_path):
    parser = argparse.ArgumentParser()
    run = {"variants": {"base": {}}, "settings": {"seed": 1}, "source": None}
    bench_rolling._check_resume(tmp_path, run, parser, {})
    assert "source" not in json.loads((tmp_path / "run.json").read_text())  # the working tree
    pd.DataFrame({"requested": ["E1", "E2"]}).to_csv(tmp_path / "origin_2018.csv")
    pinned = {**run, "source": "4cb4bf0"}
    bench_rolling._check_resume(tmp_path, pinned, parser, {})
    record = json.loads((tmp_path / "run.json").read_text())
    assert record["source"] == "4cb4bf0"
    assert record["source_pinned"]["source"] == "4cb4bf0"
    assert record["source_pinned"]["councils already done (with the working tree of then)"] == {
        "origin_2018": 2
    }
    bench_rolling._check_resume(tmp_path, pinned, parser, {})  # the same commit: resumes
    assert json.loads((tmp_path / "run.json").read_text()) == record
    for other in (run, {**run, "source": "149aa79"}):  # unpinned again, or another commit
        with pytest.raises(SystemExit):
            bench_rolling._check_resume(tmp_path, other, parser, {})


def test_a_source_that_is_not_a_commit_is_refused(bench_rolling):
    from runs_store import pin_source

    assert pin_source(["--councils", "3"]) is None  # no --source: the working tree
    with pytest.raises(SystemExit, match="not a commit"):
        pin_source(["--source", "no-such-commit"])
