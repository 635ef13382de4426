"""Backtest scoring: naive forecasts, MASE and coverage on hand-made numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from placecast.data.dfe import PublishedCounts
from placecast.errors import ConfigError, InputError
from placecast.evaluation import Backtest, BacktestSettings, naive_forecasts, published_shares


def _counts(total):
    n = len(total)
    nan = np.full(n, np.nan)
    return PublishedCounts(
        council="Testshire",
        la_code="E0",
        years=np.arange(2014, 2014 + n),
        children_in_care=np.asarray(total, dtype=float),
        stock_by_age_band=np.full((n, 5), np.nan),
        stock_by_group=np.full((n, 3), np.nan),
        starts=nan,
        ceases=nan,
        starts_by_age_band=np.full((n, 5), np.nan),
    )


def test_naive_forecasts_and_scale():
    # 100, 110, 120, 130 to 2017: last value 130, trend 140 / 150, mean yearly change 10.
    naive = naive_forecasts(_counts([100, 110, 120, 130, 0, 0]), 2017, 2)
    cic = naive[naive["measure"] == "children_in_care"].set_index("year")
    assert cic["last_value"].tolist() == [130, 130]
    assert cic["linear_trend"].tolist() == pytest.approx([140, 150])
    assert cic["scale"].tolist() == [10, 10]
    assert set(naive["measure"]) == {"children_in_care"}  # measures with no data are left out


def _rows(council, actual, q50, scale, last_value, trend, width):
    return pd.DataFrame(
        {
            "council": council,
            "measure": "children_in_care",
            "year": [2018, 2019],
            "actual": actual,
            "q50": q50,
            "mean": q50,
            "q05": np.asarray(q50) - 2 * width,
            "q25": np.asarray(q50) - width,
            "q75": np.asarray(q50) + width,
            "q95": np.asarray(q50) + 2 * width,
            "last_value": last_value,
            "linear_trend": trend,
            "scale": scale,
        }
    )


def test_mase_and_coverage_known_answer():
    rows = pd.concat(
        [
            # A: errors 5 and 15 on scale 10 -> MASE 1.0; last value errors 10, 20 -> 1.5.
            _rows("A", [110, 120], [105, 105], 10, 100, [110, 130], width=6),
            # B: exact forecasts -> MASE 0; both inside the 50% interval.
            _rows("B", [50, 60], [50, 60], 5, 40, [45, 50], width=1),
        ]
    )
    bt = Backtest(rows, BacktestSettings())
    mase = bt.council_mase().loc[("A", "children_in_care")]
    assert mase["placecast"] == pytest.approx(1.0)
    assert mase["last_value"] == pytest.approx(1.5)
    assert mase["linear_trend"] == pytest.approx(0.5)  # errors 0 and 10
    summary = bt.summary().loc["children_in_care"]
    assert summary["median_mase_placecast"] == pytest.approx(0.5)  # median of 1.0 and 0
    assert summary["beats_last_value"] == 1.0 and summary["beats_linear_trend"] == 0.5
    # Inside 50%: A 2018 (|5| <= 6), B both; A 2019 (15 > 12) is outside even the 90% interval.
    assert summary["coverage_50"] == pytest.approx(3 / 4)
    assert summary["coverage_90"] == pytest.approx(3 / 4)
    assert "| children in care | 2 | 0.50 |" in bt.markdown()


def _run(errors, measure="children_in_care"):
    """A run whose MASE per council is the given error (actual 100, scale 10, both years)."""
    rows = [
        _rows(f"C{k}", [100, 100], [100 + 10 * e, 100 + 10 * e], 10, 100, [100, 100], width=1)
        for k, e in enumerate(errors)
    ]
    return Backtest(pd.concat(rows).assign(measure=measure), BacktestSettings())


def test_paired_comparison_known_answer():
    # Council by council this run is 0.5 better: the difference is exact under any resampling.
    errors = np.linspace(0.5, 3.0, 12)
    cmp = _run(errors - 0.5).compare(_run(errors), resamples=200)
    row = cmp.loc["children_in_care"]
    assert row["councils"] == 12 and row["lower_share"] == 1.0
    assert row["median_mase"] == pytest.approx(np.median(errors) - 0.5)
    assert row["median_mase_baseline"] == pytest.approx(np.median(errors))
    assert row[["difference", "difference_q05", "difference_q95"]].tolist() == pytest.approx(
        [-0.5, -0.5, -0.5]
    )
    # Noise without a shift: the interval straddles 0; only common councils are compared.
    rng = np.random.default_rng(1)
    noisy = _run(errors + rng.normal(0, 0.3, errors.size)).compare(_run(errors[:10]))
    row = noisy.loc["all"]
    assert row["councils"] == 10 and row["difference_q05"] < 0 < row["difference_q95"]
    assert row["difference_q05"] <= row["difference"] <= row["difference_q95"]


def test_paired_comparison_needs_common_councils():
    elsewhere = Backtest(_run([1.0]).rows.assign(council="Elsewhere"), BacktestSettings())
    with pytest.raises(InputError, match="no scored council in common"):
        _run([1.0]).compare(elsewhere)


def test_rows_without_actual_or_scale_are_not_scored():
    rows = _rows("C", [np.nan, 10], [5, 5], 0.0, 5, [5, 5], width=1)
    assert Backtest(rows, BacktestSettings()).scored().empty


def test_backtest_chart_marks_values_outside_the_interval():
    import matplotlib

    matplotlib.use("Agg")
    from placecast.report import backtest_chart

    rows = pd.concat(
        [
            _rows("A", [110, 120], [105, 105], 10, 100, [110, 130], width=6),
            _rows("B", [50, 60], [50, 60], 5, 40, [45, 50], width=1),
        ]
    )
    ax = backtest_chart(rows)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("inside the 90% interval (1 councils)" in t for t in labels)
    assert any("outside the 90% interval (1 councils)" in t for t in labels)
    assert "2019" in ax.get_title()


def test_published_shares_are_dirichlet_around_each_paths_shares():
    rng = np.random.default_rng(3)
    n = 40_000
    stock = np.tile([[70.0, 20.0, 10.0]], (n, 1))
    stock[n // 2 :] = [0.0, 30.0, 10.0]  # a second kind of path, with an empty group
    concentration = np.where(np.arange(n) < n // 2, 50.0, 400.0)
    shares = published_shares(stock, concentration, rng)
    assert shares.shape == stock.shape
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    for rows, p, a in (
        (slice(0, n // 2), [0.7, 0.2, 0.1], 50.0),
        (slice(n // 2, n), [0, 0.75, 0.25], 400.0),
    ):
        got = shares[rows]
        p = np.asarray(p)
        np.testing.assert_allclose(got.mean(axis=0), p, atol=0.003)
        # Dirichlet variance p (1 - p) / (1 + concentration).
        np.testing.assert_allclose(got.var(axis=0), p * (1 - p) / (1 + a), rtol=0.05, atol=1e-9)
    assert (shares[n // 2 :, 0] < 1e-6).all()
    # A path with no children publishes no shares.
    empty = published_shares(np.zeros((2, 3)), np.array([50.0, 50.0]), rng)
    assert (empty == 0).all()


def test_each_forecast_year_sums_twelve_months_of_flows_and_the_years_sum_to_all(hackney):
    """Published starts and ceases of forecast year k are the flows of its 12 months: the years
    together hold every month's flow once (an 11-month slice once lost each March: starts and
    ceases 8% low in every backtest)."""
    from placecast.engine import simulate
    from placecast.evaluation.backtesting import year_of_flows

    out = simulate(hackney.initial, hackney.rates, hackney.supply, months=36, paths=20, seed=5)
    for name in ("entries", "exits"):
        flow = out[name]
        years = [year_of_flows(flow, k) for k in (1, 2, 3)]
        assert "month" not in years[0].dims
        total = sum(y.sum().item() for y in years)
        assert total == flow.sum().item() > 0
        # Year 1 is April to March: the months of one financial year.
        first = flow.isel(month=slice(1, None)).groupby("financial_year").sum()
        np.testing.assert_array_equal(years[0].values, first.isel(financial_year=0).values)


def test_accuracy_by_horizon_known_answer():
    """Per (measure, horizon): medians over councils, gaps to the baselines with a bootstrap
    interval (exact when every council has the same gap), COVID years left out on request."""
    rows = pd.concat(
        [
            _rows(
                f"C{k}",
                [100, 100],
                [100 + 10 * e, 100 + 20 * e],
                10,
                100 + 10 * (e + 1),
                [100, 100],
                width=1,
            )
            for k, e in enumerate(np.linspace(0.5, 2.0, 8))
        ]
    ).assign(horizon=lambda r: r["year"] - 2017)
    table = Backtest(rows, BacktestSettings()).by_horizon(resamples=300)
    one, two = table.loc[("children_in_care", 1)], table.loc[("children_in_care", 2)]
    assert one["councils"] == 8 and one["median_mase_placecast"] == pytest.approx(1.25)
    # Last value is one scale worse than placecast in year 1 for every council: gap -1 exactly.
    assert [one["gap_last_value"], one["gap_last_value_q05"], one["gap_last_value_q95"]] == (
        pytest.approx([-1.0, -1.0, -1.0])
    )
    assert two["median_mase_placecast"] == pytest.approx(2.5)  # errors double in year 2
    assert one["gap_linear_trend"] == pytest.approx(1.25)  # the trend is exact here
    without = Backtest(rows, BacktestSettings()).by_horizon(exclude_years=(2019,), resamples=50)
    assert list(without.index) == [("children_in_care", 1)]
    assert "coverage_90_paths" not in table  # rows before 2026-12-07 have no paths' quantiles


def test_coverage_of_the_paths_own_intervals_known_answer():
    """Where the rows hold the paths' own quantiles (a report's intervals), their coverage is
    scored beside the published forecast's: here half as wide, so year 1's error of 5 is inside
    the 50% interval (+-6) but not the paths' (+-3), and inside both 90% intervals."""
    rows = _rows("A", [110, 120], [105, 105], 10, 100, [110, 130], width=6).assign(horizon=[1, 2])
    for q in ("q05", "q25", "q75", "q95"):
        rows[f"{q}_paths"] = rows["q50"] + (rows[q] - rows["q50"]) / 2
    table = Backtest(rows, BacktestSettings()).by_horizon(resamples=20)
    one, two = table.loc[("children_in_care", 1)], table.loc[("children_in_care", 2)]
    assert (one["coverage_50"], one["coverage_50_paths"]) == (1.0, 0.0)
    assert (one["coverage_90"], one["coverage_90_paths"]) == (1.0, 1.0)
    assert (two["coverage_50_paths"], two["coverage_90_paths"]) == (0.0, 0.0)  # error 15
    # Which way the misses fell: year 2's outcome (120) is above the paths' 90% interval
    # (105 +- 6), year 1's inside both.
    assert (two["below_90_paths"], two["above_90_paths"]) == (0.0, 1.0)
    assert (one["below_90"], one["above_90"], one["below_90_paths"]) == (0.0, 0.0, 0.0)
    # Rows of an older run pooled in (no paths' quantiles) would count as misses: not scored.
    older = rows.drop(columns=[c for c in rows if c.endswith("_paths")]).assign(council="B")
    pooled = Backtest(pd.concat([rows, older]), BacktestSettings()).by_horizon(resamples=20)
    assert "coverage_90_paths" not in pooled


def test_rolling_backtest_runs_every_origin_to_the_end_of_the_data(monkeypatch):
    """Origins 2017-2021 with data to 2022: horizons cut at 2022; priors per origin."""
    import placecast.evaluation.rolling as rolling
    from placecast.fit.priors import AggregatePriors

    calls = []

    def fake(tidy, councils, settings, priors, **kw):
        calls.append((settings.last_fit_year, settings.horizon, priors.source))
        rows = pd.DataFrame(
            {"council": ["A"], "year": [settings.last_fit_year + 1], "horizon": [1]}
        )
        return Backtest(rows, settings, priors.source, pd.DataFrame())

    monkeypatch.setattr(rolling, "backtest", fake)
    tidy = pd.DataFrame({"year": [2015, 2022]})
    result = rolling.rolling_backtest(
        tidy,
        ["A"],
        range(2017, 2022),
        BacktestSettings(horizon=3),
        priors=lambda s: AggregatePriors(source=f"England to {s.last_fit_year}"),
    )
    assert calls == [
        (2017, 3, "England to 2017"),
        (2018, 3, "England to 2018"),
        (2019, 3, "England to 2019"),
        (2020, 2, "England to 2020"),
        (2021, 1, "England to 2021"),
    ]
    assert result.rows["origin"].tolist() == [2017, 2018, 2019, 2020, 2021]
    with pytest.raises(ConfigError, match="leave no year to score"):
        rolling.rolling_backtest(tidy, ["A"], [2022], BacktestSettings())


def test_saved_fits_are_reused_for_other_forecast_settings(tmp_path, monkeypatch):
    """A backtest with a fits folder saves each fit; a rerun that changes only forecast
    settings reforecasts the saved posterior (no sampling), and one that changes the fit
    refits."""
    import warnings

    from placecast.data.dfe import published_counts
    from placecast.data.published import published_tables
    from placecast.evaluation import backtesting
    from placecast.evaluation.backtesting import backtest_council
    from placecast.fit.aggregate import AggregateModel

    counts = published_counts(published_tables(), "Rutland")
    settings = BacktestSettings(last_fit_year=2019, horizon=2, draws=60, tune=100, paths=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = backtest_council(counts, settings, fits=tmp_path)
    saved = tmp_path / "2019" / f"{counts.la_code}.nc"
    assert saved.is_file()
    fitted = []
    real_fit = AggregateModel.fit

    def counting_fit(self, *args, **kwargs):
        fitted.append(self.draws)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(AggregateModel, "fit", counting_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = backtest_council(counts, settings, fits=tmp_path)
        half = backtest_council(
            counts,
            BacktestSettings(**{**settings.to_dict(), "trend_damping": 0.5}),
            fits=tmp_path,
        )
        assert fitted == []  # both reused the saved posterior
        pd.testing.assert_frame_equal(same, first)
        assert not np.allclose(half["q95"], first["q95"])  # another forecast of it
        assert (half["fit_seconds"] == first["fit_seconds"]).all()
        # Variants in one pass: the same fit forecast each way, as the separate reruns did.
        both = backtest_council(
            counts,
            settings,
            fits=tmp_path,
            variants={
                "default": {},
                "half": {"trend_damping": 0.5},
                "exact": {"stock_noise": "none"},  # a scoring setting: the same fit too
            },
        )
        exact = backtest_council(
            counts, BacktestSettings(**{**settings.to_dict(), "stock_noise": "none"}), fits=tmp_path
        )
        assert fitted == []
        for name, alone in (("default", first), ("half", half), ("exact", exact)):
            one = both[both["variant"] == name].drop(columns="variant").reset_index(drop=True)
            pd.testing.assert_frame_equal(one, alone)
        # The same variant scored from the saved fit alone (benchmarks/reforecast_fits.py).
        seconds = float(first["fit_seconds"].iloc[0])
        reloaded = AggregateModel.load(saved)
        again = backtesting.scored_variant(
            reloaded, counts, settings, seconds, {"trend_damping": 0.5}
        )
        pd.testing.assert_frame_equal(again, half)
        with pytest.raises(ConfigError, match=r"scored_variant: \['draws'\] change the fit"):
            backtesting.scored_variant(reloaded, counts, settings, seconds, {"draws": 50})
        backtest_council(
            counts, BacktestSettings(**{**settings.to_dict(), "draws": 50}), fits=tmp_path
        )
    assert fitted == [50]  # a fit setting changed: fitted again
    model = AggregateModel.load(saved)
    # Beside each quantile of what DfE would publish, the paths' own (what a report shows):
    # children in care's are those of the engine's stock a year on.
    forecast = backtesting.forecast_published(model, 1, paths=100).set_index("measure")
    engine = backtesting.simulate(
        model.initial_stock(2019),
        model.rates_,
        backtesting._UNLIMITED,
        months=12,
        paths=100,
        seed=0,
        start="2019-03",
    )
    stock = engine["children"].isel(month=12).sum(("placement", "age_band")).values
    # Each path's own published measures, by name: the engine's stock by group, its year of
    # flows, the entrants counted as the draw's share of them.
    paths = backtesting.paths_published(model, 1, paths=100).sel(year=2020)
    assert set(paths["group"].values) == set(backtesting.PLACEMENT_GROUPS)
    np.testing.assert_allclose(paths["stock"].sum("group"), stock)
    share = model.idata_.posterior["starts_counted_share"].stack(sample=("chain", "draw"))
    entries = backtesting.year_of_flows(engine["entries"], 1).sum("placement").values
    np.testing.assert_allclose(paths["starts"], entries * share.values[paths["draw"].values])
    exits = backtesting.year_of_flows(engine["exits"], 1).sum(("placement", "exit_reason"))
    np.testing.assert_allclose(paths["ceases"], exits)
    own = forecast.loc["children_in_care", ["q05_paths", "q50_paths", "q95_paths"]]
    np.testing.assert_allclose(own.to_numpy(float), np.quantile(stock, [0.05, 0.5, 0.95]))
    assert forecast.loc["children_in_care", "q95"] != own["q95_paths"]  # the published noise
    # stock_noise="none": children in care is the paths' own total; starts and ceases are the
    # same draws either way.
    counted = backtesting.forecast_published(model, 1, paths=100, stock_noise="none")
    counted = counted.set_index("measure")
    for q in ("q05", "q50", "q95"):
        assert counted.loc["children_in_care", q] == pytest.approx(own[f"{q}_paths"])
    for measure in ("starts", "ceases"):
        pd.testing.assert_series_equal(counted.loc[measure], forecast.loc[measure])
    assert counted.loc["fostering", "q50"] != forecast.loc["fostering", "q50"]  # on that total
    with pytest.raises(ConfigError, match="stock_noise must be one of count, none"):
        backtesting.forecast_published(model, 1, paths=10, stock_noise="exact")


def test_variants_that_change_the_fit_are_refused_before_fitting(monkeypatch):
    """A variant may only set forecast settings; a fit setting or a bad value is refused
    before any council is fitted, and mixed variants cannot be scored together."""
    from placecast.evaluation import backtesting
    from placecast.fit.priors import AggregatePriors

    monkeypatch.setattr(backtesting, "_one", lambda job: pytest.fail("fitted"))
    tidy = pd.DataFrame({"geographic_level": ["la"], "la_code": ["A"]})
    priors = AggregatePriors(source="test")
    with pytest.raises(ConfigError, match="'more_draws'.*change the fit"):
        backtesting.backtest(tidy, ["A"], priors=priors, variants={"more_draws": {"draws": 900}})
    with pytest.raises(ConfigError, match="trend_damping"):
        backtesting.backtest(tidy, ["A"], priors=priors, variants={"bad": {"trend_damping": 7.0}})
    with pytest.raises(ConfigError, match="at least one"):
        backtesting.backtest(tidy, ["A"], priors=priors, variants={})
    # The same check for changes given elsewhere (reforecast_fits.py's --set), by origin.
    backtesting.check_variant({"trend_damping": 0.5, "stock_noise": "none"}, "--set")
    with pytest.raises(ConfigError, match=r"--set: \['chains'\] change the fit.*stock_noise"):
        backtesting.check_variant({"chains": 4, "trend_damping": 0.5}, "--set")

    rows = pd.DataFrame({"council": ["A", "A"], "variant": ["one", "two"], "mean": [1.0, 2.0]})
    mixed = Backtest(rows=rows, settings=BacktestSettings())
    with pytest.raises(ConfigError, match="several forecast variants"):
        mixed.scored()
    assert mixed.variant("two").rows["mean"].tolist() == [2.0]
    assert "variant" not in mixed.variant("two").rows.columns
    with pytest.raises(ConfigError, match="no variant 'three'"):
        mixed.variant("three")


@pytest.mark.parametrize(
    ("total", "said"),
    [
        ([240.0, 246.0, 248.0], "no published count"),  # abolished: its series ends at 2016
        ([0.0, 0.0, 0.0, 0.0], "0"),  # the Isles of Scilly before 2020
        ([12.0, np.nan, np.nan, np.nan], "no published count"),  # suppressed at the origin
    ],
)
def test_a_council_without_a_stock_at_the_origin_is_refused_before_any_fit(
    monkeypatch, total, said
):
    """No stock at 31 March of the origin: refused by name and year before any sampling, and
    the rolling run records the reason instead of a fit's internal error."""
    from placecast.evaluation import backtesting
    from placecast.fit.aggregate import AggregateModel

    monkeypatch.setattr(AggregateModel, "fit", lambda *a, **k: pytest.fail("fitted"))
    settings = BacktestSettings(last_fit_year=2017, horizon=2)
    with pytest.raises(InputError, match=f"Testshire: children in care at 31 March 2017: {said} "):
        backtesting.backtest_council(_counts(total), settings)


def test_a_council_whose_every_value_is_suppressed_is_refused_by_name():
    """Cumberland in the 2021-22 release: every value suppressed; refused, not a crash."""
    from placecast.data.dfe import published_counts

    rows = [
        {
            "la_code": "E06000063",
            "la_name": "Cumberland",
            "geographic_level": "la",
            "year": year,
            "measure": measure,
            "value": np.nan,
            "suppressed": True,
            "source": "test.csv",
            "published": 2022,
        }
        for year in (2021, 2022)
        for measure in ("children_in_care", "starts", "ceases")
    ]
    with pytest.raises(InputError, match="Cumberland: every value DfE published .* suppressed"):
        published_counts(pd.DataFrame(rows), "Cumberland")


def test_a_backtest_keeps_the_paths_quantiles_of_each_council(monkeypatch, tmp_path):
    """backtest() keeps every column a council's rows carry, the paths' own quantiles included,
    in its rows and in its checkpoint (they were once dropped there, so runs could not score
    the report's own intervals)."""
    from placecast.evaluation import backtesting
    from placecast.fit.priors import AggregatePriors

    quantiles = ["q05", "q25", "q50", "q75", "q95"]
    row = {"council": "A", "la_code": "A", "measure": "starts", "year": 2020, "horizon": 1}
    row |= {q: 10.0 for q in quantiles} | {f"{q}_paths": 9.0 for q in quantiles}
    monkeypatch.setattr(backtesting, "_one", lambda job: pd.DataFrame([row]))
    tidy = pd.DataFrame({"geographic_level": ["la"], "la_code": ["A"]})
    checkpoint = tmp_path / "rows.csv"
    result = backtesting.backtest(
        tidy, ["A"], priors=AggregatePriors(source="test"), progress=False, checkpoint=checkpoint
    )
    for rows in (result.rows, pd.read_csv(checkpoint)):
        assert rows.loc[0, "q05_paths"] == 9.0 and rows.loc[0, "q95"] == 10.0
