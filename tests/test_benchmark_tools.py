"""The benchmark scripts' bookkeeping that results depend on: resuming a run in progress."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def _benchmark_module(name: str):
    """A script of benchmarks/ imported as a module (they import each other by name)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def bench_rolling():
    return _benchmark_module("bench_rolling")


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
    # The command that last resumed it is kept, and does not count as a change of the run.
    argv = ["bench_rolling.py", "--tag", "_x", "--description", "two words"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", argv)
        bench_rolling._record_command(tmp_path / "run.json")
    command = json.loads((tmp_path / "run.json").read_text())["command"]
    assert command == "python benchmarks/bench_rolling.py --tag _x --description 'two words'"
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


def _row(code: str, origin: int, **changes: object) -> dict[str, object]:
    """One forecast row: children in care a year out, published 100, forecast 100, a 50%
    interval of 0-1000 (changes: any column)."""
    return {
        "council": code,
        "la_code": code,
        "origin": origin,
        "measure": "children_in_care",
        "year": origin + 1,
        "horizon": 1,
        "actual": 100.0,
        "mean": 100.0,
        "q05": 0.0,
        "q25": 0.0,
        "q50": 100.0,
        "q75": 1000.0,
        "q95": 1000.0,
        "last_value": 100.0,
        "linear_trend": 100.0,
        "scale": 1.0,
        **changes,
    }


def _rows(errors: dict[tuple[str, int], float]) -> pd.DataFrame:
    """One children-in-care forecast a (council, origin), a year out, with the given error."""
    return pd.DataFrame(
        [
            _row(code, origin, mean=100.0 + error, q50=100.0 + error)
            for (code, origin), error in errors.items()
        ]
    )


def test_a_variant_added_mid_run_is_compared_on_the_forecasts_both_runs_hold():
    """Known answer: the variant has no forecast of A's 2017 fit (added after it). Averaged over
    whatever each run holds, A would count as 2 better (the reference's 2017 error of 4 against
    nothing); paired, A and B are each 1 better, so the gap is -1 exactly."""
    from placecast.evaluation import Backtest, BacktestSettings

    compare_variants = _benchmark_module("compare_variants")
    paired, paired_council_gap = compare_variants.paired, compare_variants.paired_council_gap

    reference = Backtest(
        _rows({("A", 2017): 4.0, ("A", 2018): 2.0, ("B", 2017): 3.0, ("B", 2018): 3.0}),
        BacktestSettings(),
    )
    variant = Backtest(
        _rows({("A", 2018): 1.0, ("B", 2017): 2.0, ("B", 2018): 2.0}), BacktestSettings()
    )
    mine, theirs = paired(variant, reference)
    assert len(mine.rows) == len(theirs.rows) == 3
    gap, low, high, councils = paired_council_gap(variant, reference)
    assert (gap, low, high, councils) == (-1.0, -1.0, -1.0, 2)


def test_the_mix_trend_check_scales_each_group_by_englands_share_trend():
    """Known answer: a forecast h years from origin o is scaled by England's mean yearly share
    change from 2016 to the last published mix up to o, h times; other measures untouched."""
    check = _benchmark_module("mix_trend_check")
    shares = pd.DataFrame(
        {"fostering": [0.8, 0.7, 0.6], "residential_semi_independent": [0.1, 0.15, 0.2]},
        index=[2016, 2019, 2021],
    )
    rows = pd.DataFrame(
        {
            "measure": ["fostering", "residential_semi_independent", "starts", "fostering"],
            "year": [2021, 2021, 2021, 2022],
            "horizon": [2, 2, 2, 2],  # origins 2019, 2019, 2019 and 2020 (no mix: 2019's)
            **{q: [100.0] * 4 for q in check.QUANTILES},
        }
    )
    got = check.with_mix_trend(rows, shares)
    fostering = 100 * (0.7 / 0.8) ** (2 / 3)
    residential = 100 * (0.15 / 0.1) ** (2 / 3)
    for q in check.QUANTILES:
        assert got[q].tolist() == pytest.approx([fostering, residential, 100.0, fostering])


def test_the_targets_cells_are_judged_as_issue_21_writes_them():
    """Known answers: a cell meets the target only with a median MASE below both baselines and
    both coverages within 5 points of nominal (5 points exactly still within); a gap's interval
    that excludes zero is reported as beyond noise, on either side."""
    target = _benchmark_module("target")
    index = pd.MultiIndex.from_tuples(
        [("starts", 1), ("starts", 2), ("ceases", 1), ("ceases", 2)], names=["measure", "horizon"]
    )
    table = pd.DataFrame(
        {
            "median_mase_placecast": [0.9, 1.5, 1.0, 1.0],
            "median_mase_last_value": [1.0, 1.4, 1.1, 1.1],
            "median_mase_linear_trend": [1.2, 1.6, 0.9, 1.2],
            "coverage_50": [0.55, 0.5, 0.5, 0.44],
            "coverage_90": [0.85, 0.9, 0.9, 0.9],
            "gap_last_value_q05": [-0.2, 0.05, -0.3, -0.3],
            "gap_last_value_q95": [-0.01, 0.2, 0.1, 0.1],
            "gap_linear_trend_q05": [-0.4, -0.3, 0.02, -0.3],
            "gap_linear_trend_q95": [-0.1, 0.1, 0.3, 0.1],
        },
        index=index,
    )
    cells = target.target_cells(table)
    assert cells["met"].tolist() == [True, False, False, False]
    assert cells["below_last_value"].tolist() == [True, False, True, True]
    assert cells["below_trend"].tolist() == [True, True, False, True]
    assert cells["coverage_50_ok"].tolist() == [True, True, True, False]
    assert cells["beyond_noise_last_value"].tolist() == ["better", "worse", "", ""]
    assert cells["beyond_noise_trend"].tolist() == ["better", "", "worse", ""]


def test_past_volatility_sees_only_years_up_to_the_origin():
    """Known answer: the sd of yearly log changes up to the origin, later years unseen, zero
    counts skipped, and no answer from fewer than two changes."""
    import numpy as np

    volatility = _benchmark_module("volatility_check").past_volatility
    series = pd.DataFrame({"year": [2015, 2016, 2017, 2018, 2019], "value": [100, 110, 0, 99, 500]})
    changes = np.diff(np.log([100.0, 110.0, 99.0]))
    assert volatility(series, 2018) == pytest.approx(np.std(changes, ddof=1))
    assert np.isnan(volatility(series, 2017))  # one change only (2017's zero is skipped)


def test_the_docs_table_bolds_gaps_beyond_noise_and_coverage_off_by_more_than_5_points():
    """Known answers for the docs' measure x horizon table: a gap whose interval excludes zero
    (either side) is bold, one reaching zero is not; coverage 84% is bold, 85% is not."""
    tables = _benchmark_module("tables")
    measures = ["children_in_care", "fostering", "residential_semi_independent", "starts", "ceases"]
    index = pd.MultiIndex.from_product([measures, [1, 2]], names=["measure", "horizon"])
    n = len(index)
    table = pd.DataFrame(
        {
            "median_mase_placecast": [1.0] * n,
            "median_mase_last_value": [1.1] * n,
            "gap_last_value": [-0.1] * n,
            "gap_last_value_q05": [-0.2, -0.2] + [0.01] + [-0.3] * (n - 3),
            "gap_last_value_q95": [-0.01, 0.0] + [0.2] + [0.1] * (n - 3),
            "coverage_90": [0.84, 0.85] + [0.9] * (n - 2),
            # Read by the target's judgement of each cell, not shown in this table.
            "median_mase_linear_trend": [1.2] * n,
            "gap_linear_trend_q05": [-0.3] * n,
            "gap_linear_trend_q95": [0.1] * n,
            "coverage_50": [0.5] * n,
        },
        index=index,
    )

    class Rows:
        def by_horizon(self, exclude_years=()):
            return table

    lines = tables.docs_table(Rows()).splitlines()
    assert lines[0] == "| measure | 1 year | 2 years |"
    assert len(lines) == 2 + len(measures)
    care = lines[2].split(" | ")
    assert care[1] == "**1.00 / 1.10, -0.10 (-0.20, -0.01)**, **84%**"
    assert care[2] == "1.00 / 1.10, -0.10 (-0.20, +0.00), 85% |"
    assert lines[3].split(" | ")[1].startswith("**1.00 / 1.10, -0.10 (+0.01, +0.20)**, 90%")


def test_the_shipped_evidence_says_how_its_run_forecast():
    """Known answers: the settings of the run a report quotes, in words (an unset exit damping
    follows the entry damping, as in AggregateSettings)."""
    tables = _benchmark_module("tables")
    held = {"trend_damping": 0.01, "exit_trend_damping": 1.0, "forecast_shocks": "once"}
    assert tables.forecast_words(held) == (
        "the entry trend dropped, the exit trend carried on and one shock held for every year"
    )
    old = {"trend_damping": 1.0, "exit_trend_damping": None}
    assert tables.forecast_words(old).startswith(
        "the entry trend carried on, the exit trend carried on"
    )
    chosen = {**held, "exit_trend_damping": 0.5, "trend_uncertainty": "kept"}
    assert tables.forecast_words(chosen) == (
        "the entry trend dropped, the exit trend damped by 0.5 a year (the trends' uncertainty "
        "kept) and one shock held for every year"
    )
    half = {"trend_damping": 0.5, "forecast_shocks": "yearly"}
    assert tables.forecast_words(half) == (
        "the entry trend damped by 0.5 a year, the exit trend damped by 0.5 a year and a fresh "
        "shock each year"
    )
    assert tables.forecast_words({**chosen, "forecast_shocks": "passing"}).endswith(
        "and a fresh shock each year, not carried into the next"
    )


def _stock_rows(half_outside_50: bool, error: float) -> pd.DataFrame:
    """Ten councils' forecasts of the three stocks at one to three years from 2017, published
    100, median ``100 + error``; every 90% interval holds it; every 50% interval too, or (with
    ``half_outside_50``) five councils' do not."""
    return pd.DataFrame(
        [
            _row(
                f"C{i}",
                2017,
                measure=measure,
                year=2017 + h,
                horizon=h,
                mean=100.0 + error,
                q50=100.0 + error,
                q25=500.0 if half_outside_50 and i % 2 == 0 else 0.0,
            )
            for i in range(10)
            for measure in ("children_in_care", "fostering", "residential_semi_independent")
            for h in (1, 2, 3)
        ]
    )


def test_the_surprise_rules_judge_coverage_and_accuracy_as_written():
    """Known answers: a candidate whose 50% intervals hold half the outcomes where the
    default's hold all (distance from nominal 0.5 -> 0 at 50%, 0.1 both at 90%) passes with the
    stocks' mean distance down 25 points; one whose medians are 1 further off (scale 1) fails
    the accuracy condition with a gap of +1 exactly."""
    from placecast.evaluation import Backtest, BacktestSettings

    judge = _benchmark_module("surprise_rules").judge
    default = Backtest(_stock_rows(False, 0.0), BacktestSettings())
    better = Backtest(_stock_rows(True, 0.0), BacktestSettings())
    ok, fall, lines = judge(better, default, (1, 2, 3), ())
    assert ok and fall == pytest.approx(0.25)
    worse = Backtest(_stock_rows(True, 1.0), BacktestSettings())
    ok, fall, lines = judge(worse, default, (2, 3), ())
    assert not ok and fall == pytest.approx(0.25)
    assert lines[0].startswith("(1) paired MASE gap +1.000") and lines[0].endswith("fails")
    assert lines[1].endswith("holds") and lines[2].endswith("holds")


def test_the_forecast_errors_tables_known_answers():
    """Published log changes twice the predicted ones: slope 2, correlation 1; errors that
    repeat in every forecast year correlate 1 between years; an outcome at the 95% quantile of
    a symmetric (log) interval scores 1.645."""
    import numpy as np

    errors = _benchmark_module("forecast_errors")
    rows = []
    for i, change in enumerate([-0.1, 0.0, 0.05, 0.2]):
        for h in (1, 2, 3):
            rows.append(
                {
                    "council": f"C{i}",
                    "origin": 2018,
                    "measure": "starts",
                    "horizon": h,
                    "last_value": 100.0,
                    "q50": 100.0 * np.exp(change),
                    "actual": 100.0 * np.exp(2 * change),
                    "q05": 100.0 * np.exp(change - abs(change)),
                    "q95": 100.0 * np.exp(change + abs(change)),
                }
            )
    rows = pd.DataFrame(rows)
    skill = errors.change_skill(rows).loc[("starts", 1)]
    assert skill["slope"] == pytest.approx(2.0) and skill["correlation"] == pytest.approx(1.0)
    carried = errors.carried_errors(rows).set_index("measure").loc["starts"]
    assert carried[["1-2", "1-3", "2-3"]].tolist() == pytest.approx([1.0, 1.0, 1.0])
    shape = errors.error_shape(rows[rows["q05"] < rows["q95"]]).loc[("starts", 1)]
    assert shape["median"] == pytest.approx(1.645) and shape["forecasts"] == 3
    # Outcomes at the 5%, 95% and 95% quantiles: the median signed ratio is +1.645; errors
    # -0.1, 0.05, 0.2 (spread 1.4826 x 0.15) against implied sds of 0.1, 0.05 and 0.2 / 1.645.
    assert shape["median signed"] == pytest.approx(1.645)
    assert shape["error spread / implied sd"] == pytest.approx(1.4826 * 0.15 / (0.1 / 1.645))
    # Ceases' errors a straight line of starts' (plus a shift shared by the year): correlation
    # 1 as published and with the year's mean out; opposite errors -1.
    flows = pd.concat(
        [
            rows.assign(year=rows["origin"] + rows["horizon"]),
            rows.assign(
                year=rows["origin"] + rows["horizon"],
                measure="ceases",
                actual=rows["q50"] * (rows["actual"] / rows["q50"]) ** 3 * 1.1,
            ),
        ]
    )
    together = errors.flows_together(flows).set_index("source")
    assert together.loc["published", [1, 2, 3]].tolist() == pytest.approx([1.0] * 3)
    assert together.loc["published, each year's mean out", 1] == pytest.approx(1.0)
    flows.loc[flows["measure"] == "ceases", "actual"] = (rows["q50"] ** 2 / rows["actual"]).values
    together = errors.flows_together(flows).set_index("source")
    assert together.loc["published", [1, 2, 3]].tolist() == pytest.approx([-1.0] * 3)
    # Starts' median log error at one year: the middle of -0.1, 0, 0.05, 0.2.
    assert errors.bias_by_origin(rows).loc[("starts", 2018), 1] == pytest.approx(0.025)
    # Four councils whose outcomes all sit 0.30-0.50 above intervals of +-0.05 (50%) and +-0.1
    # (90%): none covered as scored; with the year's median error (0.33) out, -0.03, -0.01,
    # +0.01 and +0.17: three of four inside both.
    shared = pd.DataFrame(
        {
            "measure": "starts",
            "horizon": 1,
            "year": 2019,
            "q50": 100.0,
            "actual": 100 * np.exp([0.30, 0.32, 0.34, 0.50]),
            **{q: 100 * np.exp(z) for q, z in (("q05", -0.1), ("q25", -0.05), ("q75", 0.05))},
            "q95": 100 * np.exp(0.1),
        }
    )
    cover = errors.coverage_without_shared_miss(shared).loc[("starts", 1)]
    assert cover[("scored", "50%")] == 0 and cover[("scored", "90%")] == 0
    assert cover[("shared miss out", "50%")] == pytest.approx(0.75)
    assert cover[("shared miss out", "90%")] == pytest.approx(0.75)


def test_the_exit_response_regression_recovers_known_elasticities():
    """benchmarks/exit_response.py: ceases made as starts^0.3 x starts before^0.15 x
    stock^0.6 with council and year levels are read back as those elasticities, and the
    responses in ceases per start follow from them."""
    import numpy as np

    exits = _benchmark_module("exit_response")
    rng = np.random.default_rng(3)
    rows = []
    for c in range(30):
        level = rng.normal(0, 0.3)
        for year in range(2016, 2023):
            starts, before, stock = np.exp(rng.normal([5.0, 5.0, 6.0], 0.2))
            log_ceases = (
                level
                + 0.01 * (year - 2016)
                + 0.3 * np.log(starts)
                + 0.15 * np.log(before)
                + 0.6 * np.log(stock)
            )
            rows.append(
                {
                    "council": f"C{c}",
                    "year": year,
                    "ceases": np.exp(log_ceases),
                    "starts": starts,
                    "starts_before": before,
                    "stock_before": stock,
                }
            )
    d = pd.DataFrame(rows)
    np.testing.assert_allclose(exits.elasticities(d), [0.3, 0.15, 0.6], atol=1e-9)
    table = exits.published_response(d, boots=20)
    per_start = (d["ceases"] / d["starts"]).median()
    per_child = (d["ceases"] / d["stock_before"]).median()
    first = 0.3 * per_start
    expected = [first, 0.15 * per_start + 0.6 * per_child * (1 - first)]
    np.testing.assert_allclose(table["extra ceases per extra start"], expected, rtol=1e-9)
    assert (table["90% low"] <= table["extra ceases per extra start"] + 1e-9).all()


def test_reforecast_fits_reads_each_fit_once_for_every_variant(monkeypatch, tmp_path):
    """benchmarks/reforecast_fits.py --variant: one read of a saved fit, each variant scored on
    it with its own settings and stored as its own run (RUN_NAME), with the origin."""
    from types import SimpleNamespace

    refit = _benchmark_module("reforecast_fits")
    reads = []
    model = SimpleNamespace(
        counts_=SimpleNamespace(la_code="E09000012"), last_year_=2019, idata_=SimpleNamespace()
    )
    model.idata_.attrs = {"fit_seconds": 40.0}

    def load(path):
        reads.append(path)
        return model

    def scored(model_, counts, settings, seconds, changes):
        assert model_ is model and settings.horizon == 3 and seconds == 40.0
        return pd.DataFrame({"changes": [str(changes)]})

    monkeypatch.setattr(refit.AggregateModel, "load", load)
    monkeypatch.setattr(refit, "published_counts", lambda tables, code: code)
    monkeypatch.setattr(refit, "_tables", lambda: None)
    monkeypatch.setattr(refit, "scored_variant", scored)
    variants = {"default": {}, "passing": {"forecast_shocks": "passing"}}
    out = refit._one(("fit.nc", variants, 2022))
    assert reads == ["fit.nc"] and list(out) == ["default", "passing"]
    assert out["passing"]["changes"].item() == "{'forecast_shocks': 'passing'}"
    assert out["default"]["origin"].item() == 2019
    # From the command line: a variant without a name of its own is refused before any work.
    monkeypatch.setattr(sys, "argv", ["reforecast_fits.py", "--fits", str(tmp_path), "--name", "r"])
    sys.argv += ["--variant", "a", "--variant", "a:trend_damping=1"]
    with pytest.raises(SystemExit):
        refit.main()
    assert reads == ["fit.nc"]


def test_reforecast_fits_checkpoint_resumes_without_rescoring(monkeypatch, tmp_path):
    """benchmarks/reforecast_fits.py --checkpoint: each fit's rows are kept as it is scored, a
    later pass scores only the fits not yet there, and the run's rows come in origin and council
    order whatever the passes; a checkpoint made with other variants is refused."""
    from concurrent.futures import ThreadPoolExecutor

    refit = _benchmark_module("reforecast_fits")
    for origin, code in [(2019, "E2"), (2019, "E1"), (2020, "E1"), (2020, "E10000023")]:
        (tmp_path / "fits" / str(origin)).mkdir(parents=True, exist_ok=True)
        (tmp_path / "fits" / str(origin) / f"{code}.nc").touch()
    scored, runs = [], {}

    def one(job):
        path = Path(job[0])
        scored.append((int(path.parent.name), path.stem))
        code = refit.current_code(path.stem)  # as published_counts gives it
        return {
            name: pd.DataFrame(
                {"la_code": [code] * 2, "origin": int(path.parent.name), "year": [1, 2]}
            )
            for name in job[1]
        }

    monkeypatch.setattr(refit, "_one", one)
    monkeypatch.setattr(refit, "ProcessPoolExecutor", ThreadPoolExecutor)
    monkeypatch.setattr(refit, "_tables", lambda: pd.DataFrame({"year": [2022]}))
    monkeypatch.setattr(refit, "write_run", lambda name, rows, record: runs.update({name: rows}))
    base = ["reforecast_fits.py", "--fits", str(tmp_path / "fits"), "--name", "r"]
    base += ["--checkpoint", str(tmp_path / "kept"), "--variant", "default"]
    base += ["--variant", "p:trend_damping=1"]
    monkeypatch.setattr(sys, "argv", [*base, "--origins", "2019"])
    refit.main()
    assert sorted(scored) == [(2019, "E1"), (2019, "E2")]
    assert not runs  # a pass without --finish only keeps its rows
    # A stop between two variants' writes left one fit in one file only: it is scored again.
    kept = tmp_path / "kept" / "p.csv"
    pd.read_csv(kept).query("la_code != 'E2'").to_csv(kept, index=False)
    monkeypatch.setattr(sys, "argv", [*base, "--origins", "2019", "2020", "--finish"])
    refit.main()
    # E1 2019 came from the checkpoint; North Yorkshire's old code is its rows' new one
    assert sorted(scored[2:]) == [(2019, "E2"), (2020, "E1"), (2020, "E10000023")]
    for name in ("r_default", "r_p"):
        rows = runs[name]
        assert list(zip(rows["origin"], rows["la_code"], rows["year"], strict=True)) == [
            (2019, "E1", 1), (2019, "E1", 2), (2019, "E2", 1), (2019, "E2", 2),
            (2020, "E06000065", 1), (2020, "E06000065", 2), (2020, "E1", 1), (2020, "E1", 2),
        ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", [*base[:-1], "p:trend_damping=0.5"])
    with pytest.raises(SystemExit, match="other variants"):
        refit.main()
    # A fit that cannot be read (e.g. being written by a run beside it) is left for another
    # pass, and the runs are not written without it.
    (tmp_path / "fits" / "2021").mkdir()
    (tmp_path / "fits" / "2021" / "E9.nc").touch()

    def unreadable(job):
        if "E9" in job[0]:
            raise OSError("half a file")
        return one(job)

    monkeypatch.setattr(refit, "_one", unreadable)
    runs.clear()
    before = len(scored)
    monkeypatch.setattr(sys, "argv", [*base, "--origins", "2019", "2020", "2021", "--finish"])
    with pytest.raises(SystemExit, match="only when every fit is scored"):
        refit.main()
    assert len(scored) == before  # every other fit, North Yorkshire's too, came from the rows
    assert not runs and "E9" not in pd.read_csv(tmp_path / "kept" / "default.csv")["la_code"].values
