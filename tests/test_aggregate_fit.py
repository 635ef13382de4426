"""Fitting to published statistics: the fitted model is the engine's, margins, errors, recovery."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import placecast as pc
from conftest import SHARED, no_capacity_limit
from placecast.data.dfe import PLACEMENT_GROUPS, PublishedCounts, published_counts, read_dfe
from placecast.data.margins import round_preserving
from placecast.fit.aggregate import AggregateModel, published_initial_stock, published_stock
from placecast.fit.components import STANDARDISED, fit_window, uses_centered_shocks
from placecast.fit.national import fit_national_priors, national_priors
from placecast.fit.priors import AggregatePriors
from placecast.fit.sampling import sample_posterior
from placecast.fit.settings import AggregateSettings
from placecast.folders import MANIFEST
from placecast.results import load_inputs

FOLDER = SHARED / "data" / "dfe_cla_la_2015_2019"
#: How the tests compile the model's expectations and likelihoods: the default C backend
#: compiles every op of the scans afresh on a machine with an empty cache (CI: about 110 s for
#: the monthly model against 28 s), for the same values.
COMPILE_MODE = "FAST_COMPILE"


@pytest.fixture(scope="module")
def dfe():
    return read_dfe(FOLDER)


@pytest.fixture(scope="module")
def hackney_counts(dfe):
    return published_counts(dfe, "Hackney").upto(2017)


def _expected_at(model, point):
    """The PyMC model's deterministic expectations at a point (values on the sampler's scale)."""
    names = [
        "expected_children_in_care",
        "expected_stock_by_group",
        "expected_starts",
        "expected_ceases",
        "expected_ceases_by_age_band",
    ]
    fn = model.compile_fn(
        model.replace_rvs_by_values([model[n] for n in names]),
        inputs=model.value_vars,
        point_fn=True,
        on_unused_input="ignore",
        mode=COMPILE_MODE,
    )
    return dict(zip(names, fn(point), strict=True))


def _own_scale(priors, **values):
    """Point values for parameters given on their own scale; standardised ones (e.g. the
    drifts) are sampled as ``<name>_z``."""
    point = {}
    for name, value in values.items():
        if name in STANDARDISED:
            mean, sd = (getattr(priors, field) for field in STANDARDISED[name])
            name, value = f"{name}_z", (value - mean) / sd
        point[name] = np.asarray(value, dtype=float)
    return point


def _structure_rates(priors, entries, growth, pull_change=0.0):
    ds = priors.structure.data.isel(draw=0)
    return pc.Rates.build(
        priors.structure.space,
        entries_per_year=entries,
        entry_growth_per_year=np.exp(growth) - 1.0,
        entry_age_band_share=np.asarray(priors.entry_age_share),
        entry_placement_share=ds["entry_placement_share"].values,
        move_rate_per_year=ds["move_rate_per_year"].values,
        exit_rate_per_year=ds["exit_rate_per_year"].values,
        pull_change_per_year=pull_change,
    )


@pytest.mark.parametrize(
    ("step", "timing", "tolerance"),
    [
        (1, "monthly", {"stock": 1e-9, "groups": 3e-9, "ceases": 2e-9, "at_18": 1e-9}),
        (3, "monthly", {"stock": 0.008, "groups": 0.045, "ceases": 0.012, "at_18": 0.012}),
        (3, "end_of_step", {"stock": 0.015, "groups": 0.045, "ceases": 0.03, "at_18": 0.02}),
    ],
)
def test_fitted_model_is_the_engines_mean_field_model(hackney_counts, step, timing, tolerance):
    """Known answer: with every multiplier at zero (rates = the structure), the PyMC model's
    expected stock, groups, starts and ceases equal placecast.expected() from the same stock.
    Monthly steps agree to floating point (both start from the same whole children by age
    month). Quarterly, with entrants arriving month by month as in the engine: stock within
    0.7% over two years, ceases 1.1%, fostering 0.2%, residential 4.4% (its moves at 16-17),
    those leaving at 18 1.1%; with a quarter's entrants all arriving at its end: stock 1.3%,
    ceases 2.1% low, fostering 2.0%, leaving at 18 1.9%."""
    fitter = AggregateModel(step_months=step, entry_timing=timing)
    model = fitter.build(hackney_counts)
    point = model.initial_point()
    point["log_entries_per_year"] = np.log(200.0)
    point.update(_own_scale(fitter.priors, entry_log_growth=0.1))
    got = _expected_at(model, point)

    rates = _structure_rates(fitter.priors, 200.0, 0.1)
    stock = published_initial_stock(hackney_counts, 2015, fitter.priors)
    ex = pc.expected(stock, rates, no_capacity_limit(), months=24, start="2015-03")
    children = ex["children"].isel(path=0)
    for year in (0, 1):
        month = 12 * (year + 1)
        total = float(children.isel(month=month).sum())
        assert got["expected_children_in_care"][year] == pytest.approx(
            total, rel=tolerance["stock"]
        )
        for g, members in enumerate(PLACEMENT_GROUPS.values()):
            want = float(children.isel(month=month).sel(placement=list(members)).sum())
            assert got["expected_stock_by_group"][year, g] == pytest.approx(
                want, rel=tolerance["groups"], abs=1.0
            )
        exits = float(ex["exits"].isel(path=0, month=slice(month - 11, month + 1)).sum())
        assert got["expected_ceases"][year] == pytest.approx(exits, rel=tolerance["ceases"])
        # Ages on ceasing: the bands add up to the ceases; the last is the 18th birthdays.
        by_age = got["expected_ceases_by_age_band"][year]
        assert by_age.sum() == pytest.approx(got["expected_ceases"][year], rel=1e-9)
        at_18 = (
            ex["exits"].isel(path=0, month=slice(month - 11, month + 1)).sel(exit_reason="aged_18")
        )
        assert by_age[-1] == pytest.approx(float(at_18.sum()), rel=tolerance["at_18"])
        entries = float(ex["entries"].isel(path=0, month=slice(month - 11, month + 1)).sum())
        # Published starts are the counted share of those who join (prior mean 0.98 here).
        assert point["starts_counted_share_z"] == 0.0  # its prior mean
        counted = fitter.priors.starts_counted_share
        assert got["expected_starts"][year + 1] == pytest.approx(counted * entries, rel=1e-9)


def test_residential_drift_is_the_engines_pull_change(hackney_counts):
    """Known answer: a drift of the residential / semi-independent pull in the fitted model
    (monthly steps) is the engine's ``pull_change_per_year`` on the same placements: same
    stock by group, starts and ceases in both fitted years, and the group grows against no
    drift from the second year on."""
    fitter = AggregateModel(step_months=1, placement_model="drift")
    model = fitter.build(hackney_counts)
    point = model.initial_point()
    point["log_entries_per_year"] = np.log(200.0)
    point.update(_own_scale(fitter.priors, entry_log_growth=0.1))
    base = _expected_at(model, point)
    point.update(_own_scale(fitter.priors, residential_drift=0.4))
    got = _expected_at(model, point)

    space = fitter.priors.structure.space
    group = PLACEMENT_GROUPS["residential_semi_independent"]
    pull = np.where(np.isin(space.placement_names, group), np.expm1(0.4), 0.0)
    rates = _structure_rates(fitter.priors, 200.0, 0.1, pull_change=pull)
    stock = published_initial_stock(hackney_counts, 2015, fitter.priors)
    ex = pc.expected(stock, rates, no_capacity_limit(), months=24, start="2015-03")
    children = ex["children"].isel(path=0)
    for year in (0, 1):
        month = 12 * (year + 1)
        for g, members in enumerate(PLACEMENT_GROUPS.values()):
            want = float(children.isel(month=month).sel(placement=list(members)).sum())
            assert got["expected_stock_by_group"][year, g] == pytest.approx(want, rel=1e-9)
        exits = float(ex["exits"].isel(path=0, month=slice(month - 11, month + 1)).sum())
        assert got["expected_ceases"][year] == pytest.approx(exits, rel=1e-9)
    resid = list(PLACEMENT_GROUPS).index("residential_semi_independent")
    ratio = got["expected_stock_by_group"][:, resid] / base["expected_stock_by_group"][:, resid]
    assert ratio[0] == pytest.approx(1.0, rel=1e-12)  # the first year of flows is the origin
    assert ratio[1] > 1.05


def test_residential_drift_carries_into_the_forecast_rates(hackney_counts):
    """The forecast's rates start from the pull of the first forecast year (two years of drift
    past the fitted tilts, which are the first year's) and change by the drift each year."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only consistency matters
        fit = AggregateModel(draws=100, tune=200, placement_model="drift", retry="none").fit(
            hackney_counts, seed=2
        )
    post = fit.idata_.posterior.stack(s=("chain", "draw"))
    drift = post["residential_drift"].values
    ds = fit.rates_.data
    group = np.isin(ds["placement"].values, PLACEMENT_GROUPS["residential_semi_independent"])
    pull = ds["pull_change_per_year"].values
    np.testing.assert_allclose(pull[:, group], np.repeat(np.expm1(drift)[:, None], 2, axis=1))
    assert (pull[:, ~group] == 0).all() and np.ptp(drift) > 0  # a posterior, not a constant
    fitted = post["move_rate_per_year"].transpose("s", ...).values
    into = ds["move_rate_per_year"].values
    r, f = fit.priors.structure.space.index("residential"), fit.priors.structure.space.index("ifa")
    np.testing.assert_allclose(into[:, :, f, r], fitted[:, :, f, r] * np.exp(2 * drift)[:, None])
    np.testing.assert_allclose(into[:, :, r, f], fitted[:, :, r, f] * np.exp(-2 * drift)[:, None])


def test_residential_random_walk_with_equal_shocks_is_the_drift(hackney_counts):
    """Known answer: a random walk of the pull whose yearly shocks all equal d is the drift
    model with drift d (same expected stocks, starts and ceases), and without shocks it is the
    fixed model."""

    def expected_with(placement_model, **values):
        fitter = AggregateModel(placement_model=placement_model)
        model = fitter.build(hackney_counts)
        point = model.initial_point()
        point["log_entries_per_year"] = np.log(200.0)
        point.update(_own_scale(fitter.priors, **values))
        return _expected_at(model, point)

    fixed = expected_with("fixed")
    drift = expected_with("drift", residential_drift=0.3)
    # Fitted to 2017 from 2015: one shock, in the second year of flows; 0.15 * 2 = 0.3.
    walk = expected_with(
        "random_walk", pull_year_sd_log__=np.log(0.15), pull_year_z=np.array([2.0])
    )
    still = expected_with("random_walk", pull_year_z=np.array([0.0]))
    for name, value in drift.items():
        np.testing.assert_allclose(walk[name], value, rtol=1e-10)
        np.testing.assert_allclose(still[name], fixed[name])
    resid = list(PLACEMENT_GROUPS).index("residential_semi_independent")
    moved = walk["expected_stock_by_group"][:, resid]
    assert moved[-1] > 1.05 * fixed["expected_stock_by_group"][-1, resid]


def test_centred_and_standardised_shocks_are_the_same_model(hackney_counts):
    """Known answer: the random walks' shocks sampled as shocks (centred) or as standardised
    shocks times their size give the same expectations at corresponding points, and the
    centred fit reports the standardised shocks the forecast reads."""
    z_entry, z_exit = np.array([1.5, -0.5]), np.array([0.8])
    values = {"entry_year_sd_log__": np.log(0.2), "exit_year_sd_log__": np.log(0.1)}
    drift = -0.03

    def expected_with(random_walks, shocks):
        fitter = AggregateModel(random_walks=random_walks)
        model = fitter.build(hackney_counts)
        point = model.initial_point()
        point.update(values, **_own_scale(fitter.priors, exit_drift=drift), **shocks)
        return _expected_at(model, point), model

    standard, _ = expected_with("non_centered", {"entry_year_z": z_entry, "exit_year_z": z_exit})
    centred, model = expected_with(
        "centered",
        {"entry_year_shock": 0.2 * z_entry, "exit_year_shock": drift + 0.1 * z_exit},
    )
    for name, value in standard.items():
        np.testing.assert_allclose(centred[name], value, rtol=1e-10)
    assert {"entry_year_shock", "exit_year_shock"} <= {v.name for v in model.free_RVs}
    assert "entry_year_z" in {v.name for v in model.deterministics}
    # "auto" centres where counts pin each year (Hackney: about 230 starts a year), not for a
    # council a tenth of its size.
    assert uses_centered_shocks(hackney_counts, AggregateSettings())
    small = hackney_counts.scaled(0.1, "a tenth of Hackney")
    assert not uses_centered_shocks(small, AggregateSettings())
    free = {v.name for v in AggregateModel().build(small).free_RVs}
    assert "entry_year_z" in free and "entry_year_shock" not in free


def test_residential_random_walk_forecast_starts_from_the_last_pull_plus_a_shock(hackney_counts):
    """The forecast's pull is each draw's fitted pull of the last year plus a fresh shock with
    the draw's fitted sd (standard normal once standardised), and it does not drift."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only consistency matters
        fit = AggregateModel(draws=200, tune=200, placement_model="random_walk", retry="none").fit(
            hackney_counts, seed=3
        )
    post = fit.idata_.posterior.stack(s=("chain", "draw"))
    last = post["log_residential_pull"].isel(flow_year=-1).values
    sd = post["pull_year_sd"].values
    assert (fit.rates_.data["pull_change_per_year"].values == 0).all()
    ds = fit.rates_.in_year(0).data  # the first forecast year's shock is in its path
    fitted = post["move_rate_per_year"].transpose("s", ...).values
    into = ds["move_rate_per_year"].values
    r, f = fit.priors.structure.space.index("residential"), fit.priors.structure.space.index("ifa")
    pull = np.log(into[:, -1, f, r] / fitted[:, -1, f, r])
    np.testing.assert_allclose(into[:, :, r, f], fitted[:, :, r, f] * np.exp(-pull)[:, None])
    z = (pull - last) / sd
    assert abs(z.mean()) < 0.25 and 0.8 < z.std() < 1.2  # 400 draws
    assert np.ptp(last) > 0  # the fitted pull is a posterior, not the tilts'
    # Later years: a fresh shock each year with forecast_shocks="yearly" (a random walk), none
    # with "once" (the default).
    yearly = fit.reforecast(forecast_shocks="yearly").rates_.data["pull_level_by_year"]
    steps = np.diff(np.log(yearly.values[:, :, r]), axis=1) / sd[:, None]  # (draw, year)
    assert abs(steps.mean()) < 0.1 and 0.9 < steps.std() < 1.1  # 400 draws x 9 years
    once = np.log(fit.rates_.data["pull_level_by_year"])
    assert np.ptp(once.values[:, :, r], axis=1).max() < 1e-12


def test_published_stock_keeps_the_margins(hackney_counts):
    table = published_stock(hackney_counts, 2017)
    frame = hackney_counts.frame().loc[2017]
    assert table.to_numpy().sum() == frame["children_in_care"] == 368
    bands = table.sum(axis=0).to_numpy()
    published = frame[[c for c in frame.index if c.startswith("stock_age_")]].to_numpy()
    # DfE's 2017 age bands add up to 371, not 368: scaled to the total, each within one child.
    assert published.sum() == 371 and np.abs(bands - published).max() <= 1
    fostering = table.loc[list(PLACEMENT_GROUPS["fostering"])].to_numpy().sum()
    assert abs(fostering - frame["fostering"]) <= 1
    assert table.loc["semi_independent"].iloc[:4].sum() == 0  # never under 16
    assert (table.to_numpy() >= 0).all()


def test_rounding_keeps_both_margins_where_single_moves_get_stuck():
    # A table where moving one child at a time cannot fix the columns: the earlier greedy
    # rounding wrote -1 here (as it did for Rutland at 31 March 2022).
    table = np.array(
        [
            [0.208, 0.710, 0.571, 0.0, 0.474],
            [0.0, 0.0, 0.327, 0.574, 1.054],
            [0.360, 0.0, 4.955, 0.0, 0.0],
            [0.0, 1.970, 0.004, 0.0, 0.0],
            [0.0, 0.336, 1.989, 0.0, 0.0],
            [0.0, 0.0, 0.206, 0.438, 0.0],
        ]
    )
    rows, cols = np.array([2, 2, 5, 2, 2, 1]), np.array([1, 3, 8, 1, 1])
    out = round_preserving(table, rows, cols)
    assert (out >= 0).all() and (out[table == 0] == 0).all()
    assert out.sum(axis=1).tolist() == rows.tolist() and out.sum(axis=0).tolist() == cols.tolist()
    assert np.abs(out - table).max() < 1.5  # within a child and a bit of each cell
    with pytest.raises(ValueError, match="no whole table has row totals"):
        round_preserving(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([2, 0]), np.array([0, 2]))


@settings(max_examples=60, deadline=None)
@given(
    arrays(float, (6, 5), elements=st.floats(0, 8)),
    arrays(bool, (6, 5)),
)
def test_rounding_a_published_stock_never_goes_negative(pattern, zero):
    # Any fitted pattern (zeros where a placement is empty) joined to Rutland-like margins with
    # suppressed parts: whole, non-negative children and the published total.
    bands = np.array([0.0, np.nan, np.nan, 9.0, 10.0])
    counts = PublishedCounts(
        council="Test",
        la_code="E00000000",
        years=np.array([2021, 2022]),
        children_in_care=np.array([30.0, 25.0]),
        stock_by_age_band=np.vstack([[1.0, 3.0, 5.0, 10.0, 11.0], bands]),
        stock_by_group=np.array([[18.0, 7.0, 5.0], [15.0, np.nan, np.nan]]),
        starts=np.array([12.0, 10.0]),
        starts_by_age_band=np.full((2, 5), np.nan),
        ceases=np.array([14.0, 15.0]),
    )
    table = published_stock(counts, 2022, pattern=np.where(zero, 0.0, pattern))
    assert (table.to_numpy() >= 0).all() and table.to_numpy().sum() == 25
    assert table.sum(axis=0).tolist()[3:] == [9, 10] and table["under_1"].sum() == 0


def test_suppressed_margins_are_filled_from_the_total(hackney_counts):
    bands = hackney_counts.stock_by_age_band.copy()
    bands[-1, 0] = np.nan  # under-1s suppressed in 2017
    counts = replace(hackney_counts, stock_by_age_band=bands)
    table = published_stock(counts, 2017)
    assert table.to_numpy().sum() == 368
    assert table["under_1"].sum() == 368 - np.nansum(bands[-1])


def test_bad_inputs_get_clear_errors(hackney_counts):
    with pytest.raises(
        pc.InputError, match="Hackney: no published children in care at 31 March 2030"
    ):
        published_stock(hackney_counts, 2030)
    one_year = hackney_counts.since(2017)
    with pytest.raises(
        pc.InputError, match=r"Hackney: .* needs the totals of at least one later year, but"
    ):
        AggregateModel().build(one_year)
    no_ages = replace(
        hackney_counts, stock_by_age_band=np.full_like(hackney_counts.stock_by_age_band, np.nan)
    )
    with pytest.raises(pc.InputError, match="no year with children in care by age band"):
        AggregateModel().build(no_ages)
    none_left = hackney_counts.children_in_care.copy()
    none_left[-1] = 0.0
    with pytest.raises(pc.InputError, match="Hackney: DfE published 0 children in care at 31 "):
        AggregateModel().build(replace(hackney_counts, children_in_care=none_left))
    none_first = hackney_counts.children_in_care.copy()
    none_first[0] = 0.0  # a stock of nobody has no age mix: the fit starts a year later
    assert fit_window(replace(hackney_counts, children_in_care=none_first)) == (
        hackney_counts.years[1],
        hackney_counts.years[-1],
    )
    nobody = replace(hackney_counts, children_in_care=np.zeros_like(none_left))
    with pytest.raises(pc.InputError, match="no rates to fit and no stock to forecast"):
        AggregateModel().build(nobody)
    with pytest.raises(pc.ConfigError, match="step_months must divide 12"):
        AggregateModel(step_months=5)
    with pytest.raises(pc.ConfigError, match="entry_model must be one of random_walk, trend"):
        AggregateModel(entry_model="linear")
    with pytest.raises(pc.ConfigError, match="exit_model must be one of random_walk, fixed"):
        AggregateModel(exit_model="trend")
    with pytest.raises(pc.ConfigError, match="sampler must be one of pymc, nutpie"):
        AggregateModel(sampler="stan")
    with pytest.raises(pc.ConfigError, match="mass_matrix must be one of low_rank, diagonal"):
        AggregateModel(mass_matrix="dense")
    with pytest.raises(pc.ConfigError, match="'low_rank' needs sampler='nutpie'"):
        AggregateModel(sampler="pymc", mass_matrix="low_rank")
    with pytest.raises(pc.ConfigError, match="low-rank mass matrix needs the nutpie sampler"):
        sample_posterior(
            None,
            draws=1,
            tune=1,
            chains=1,
            cores=1,
            target_accept=0.9,
            seed=0,
            progressbar=False,
            sampler="pymc",
            low_rank_mass_matrix=True,
        )
    with pytest.raises(pc.ConfigError, match="stock_growth_sd must be > 0 or None, got 0"):
        AggregatePriors(stock_growth_sd=0.0)
    with pytest.raises(pc.ConfigError, match="fostering_split must be shares summing to 1"):
        AggregatePriors(fostering_split=(0.5, 0.5, 0.5))


@pytest.mark.parametrize(
    ("sampler", "mass_matrix", "low_rank"),
    [("nutpie", None, True), ("nutpie", "diagonal", False), ("pymc", None, False)],
)
def test_mass_matrix_reaches_the_sampler(
    hackney_counts, monkeypatch, sampler, mass_matrix, low_rank
):
    """The default adapts nutpie's low-rank mass matrix; "diagonal" and PyMC's sampler do not."""
    import placecast.fit.aggregate as aggregate

    seen = {}

    def sample_posterior(model, **settings):
        seen.update(settings)
        raise RuntimeError("stop before sampling")

    monkeypatch.setattr(aggregate, "sample_posterior", sample_posterior)
    model = AggregateModel(sampler=sampler, mass_matrix=mass_matrix)
    with pytest.raises(RuntimeError, match="stop before sampling"):
        model.fit(hackney_counts)
    assert seen["low_rank_mass_matrix"] is low_rank and seen["sampler"] == sampler


@pytest.mark.slow  # several fits: a long statistical check (CI's slow step)
def test_random_walk_forecast_starts_from_the_latest_level(hackney_counts):
    """Entries jump by 40% in the last fitted year. A random walk carries the new level into the
    forecast; a trend treats most of the jump as a one-year shock and returns towards the line."""
    starts = hackney_counts.starts.copy()
    starts[-1] = round(starts[-1] * 1.4)
    counts = replace(hackney_counts, starts=starts)
    level = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only the level matters
        for entry_model in ("random_walk", "trend"):
            fit = AggregateModel(draws=200, tune=300, entry_model=entry_model, retry="none").fit(
                counts, seed=4
            )
            level[entry_model] = float(np.median(fit.rates_.data["entries_per_year"].values))
    last = starts[-1]
    assert level["random_walk"] == pytest.approx(last, rel=0.15)  # 310 of 343 seen (shrunk)
    assert level["trend"] < level["random_walk"] - 0.05 * last  # 265-275 seen


def test_forecast_damps_trends_and_adds_a_shock_each_year(hackney_counts):
    """Known answers on one posterior: with ``forecast_shocks="once"`` the log entry level's
    yearly steps are the fitted growth times the damping (phi ** k, less the undamped growth the
    engine applies monthly); with ``"yearly"`` each step adds a fresh shock of the fitted sd, so
    the spread of the level widens like a random walk's; undamped and once is the growth alone."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only the forecast matters
        # Every draw damped and the exit drift following trend_damping unless set (not the
        # defaults), so that each setting below is tested alone.
        fit = AggregateModel(
            draws=100, tune=200, retry="none", trend_uncertainty="damped", exit_trend_damping=None
        ).fit(hackney_counts, seed=5)
    post = fit.idata_.posterior.stack(s=("chain", "draw"))
    growth, sd = post["entry_log_growth"].values, post["entry_year_sd"].values
    k = np.arange(1, 10)
    held = fit.reforecast(forecast_shocks="once", trend_damping=0.7)
    path = np.log(held.rates_.data["entry_level_by_year"].values)
    steps = np.diff(path, axis=1)
    want = growth[:, None] * (0.5 * 0.7**k + 0.5 * 0.7 ** (k + 1) - 1.0)[None, :]
    np.testing.assert_allclose(steps, want, atol=1e-12)
    plain = fit.reforecast(forecast_shocks="once", trend_damping=1.0).rates_.data
    assert np.ptp(np.log(plain["entry_level_by_year"].values), axis=1).max() < 1e-12
    yearly = fit.reforecast(forecast_shocks="yearly", trend_damping=0.7).rates_.data
    fresh = (np.diff(np.log(yearly["entry_level_by_year"].values), axis=1) - want) / sd[:, None]
    assert abs(fresh.mean()) < 0.1 and 0.9 < fresh.std() < 1.1  # 200 draws x 9 years
    # "passing": a fresh shock each year that does not carry on. The first year is "once"'s
    # (the same draws); undamped, each year's log level is the fitted sd times its own shock,
    # so a year's step is the difference of two independent shocks (sd sqrt 2) and undoes half
    # of the step before it (correlation -0.5), where "yearly"'s steps are independent.
    passing = fit.reforecast(forecast_shocks="passing", trend_damping=1.0).rates_.data
    for name, size in (("entry_level_by_year", sd), ("exit_level_by_year", None)):
        log_pass = np.log(passing[name].values)
        log_once = np.log(plain[name].values)
        np.testing.assert_allclose(log_pass[:, 0], log_once[:, 0], atol=1e-12)
        size = post["exit_year_sd"].values if size is None else size
        drift = 0.0 if name.startswith("entry") else post["exit_drift"].values[:, None]
        step = (np.diff(log_pass, axis=1) - drift) / size[:, None]
        assert abs(step.mean()) < 0.15 and 1.25 < step.std() < 1.6  # 200 draws x 9 years
        lag = np.corrcoef(step[:, :-1].ravel(), step[:, 1:].ravel())[0, 1]
        assert -0.6 < lag < -0.4
    assert fit.reforecast().trend_damping == fit.trend_damping  # nothing changed, same model
    # The exit drift follows trend_damping unless exit_trend_damping is set: then the entry
    # path is trend_damping's and the exit path exit_trend_damping's, the shocks the same.
    exit_drift = post["exit_drift"].values[:, None]
    both = fit.reforecast(
        forecast_shocks="once", trend_damping=0.7, exit_trend_damping=None
    ).rates_.data
    entry_only = fit.reforecast(
        forecast_shocks="once", trend_damping=0.7, exit_trend_damping=1.0
    ).rates_.data
    exit_only = fit.reforecast(
        forecast_shocks="once", trend_damping=1.0, exit_trend_damping=0.7
    ).rates_.data
    log_exit = {
        k: np.log(v["exit_level_by_year"].values)
        for k, v in (("both", both), ("entry", entry_only), ("exit", exit_only), ("plain", plain))
    }
    np.testing.assert_allclose(
        np.diff(log_exit["both"], axis=1), exit_drift * 0.7 ** (k + 1)[None, :], atol=1e-12
    )
    np.testing.assert_allclose(log_exit["entry"], log_exit["plain"], atol=1e-12)
    np.testing.assert_allclose(log_exit["exit"], log_exit["both"], atol=1e-12)
    np.testing.assert_allclose(
        entry_only["entry_level_by_year"].values, held.rates_.data["entry_level_by_year"].values
    )
    np.testing.assert_allclose(
        exit_only["entry_level_by_year"].values, plain["entry_level_by_year"].values
    )
    with pytest.raises(pc.ConfigError, match="exit_trend_damping must be in"):
        fit.reforecast(exit_trend_damping=0.0)
    # trend_uncertainty="kept": the damping applies to the trends' posterior mean only; each
    # draw's difference from it goes on undamped (the engine's own growth for entries, a full
    # step a year for the exit drift), so the median is damped and the spread is undamped's.
    kept = fit.reforecast(
        forecast_shocks="once", trend_damping=0.7, exit_trend_damping=None, trend_uncertainty="kept"
    )
    kept_steps = np.diff(np.log(kept.rates_.data["entry_level_by_year"].values), axis=1)
    np.testing.assert_allclose(
        kept_steps, np.broadcast_to(want.mean(axis=0), want.shape), atol=1e-12
    )
    mean_drift = exit_drift.mean()
    np.testing.assert_allclose(
        np.diff(np.log(kept.rates_.data["exit_level_by_year"].values), axis=1),
        mean_drift * 0.7 ** (k + 1)[None, :] + (exit_drift - mean_drift),
        atol=1e-12,
    )
    undamped_kept = fit.reforecast(
        forecast_shocks="once", trend_damping=1.0, trend_uncertainty="kept"
    ).rates_.data
    for name in ("entry_level_by_year", "exit_level_by_year", "pull_level_by_year"):
        np.testing.assert_allclose(undamped_kept[name].values, plain[name].values, rtol=1e-14)
    # pull_trend="fitted": the random-walk pull's own mean change a year, carried on as the
    # drift model's (a change a year on residential / semi-independent only); "none" holds it.
    pull = post["log_residential_pull"].transpose("s", ...).values
    drift = (pull[:, -1] - pull[:, 0]) / (pull.shape[1] - 1)
    carried = fit.reforecast(pull_trend="fitted", trend_damping=1.0).rates_.data
    change = carried["pull_change_per_year"].values
    group = fit.priors.structure.space.placement_names.index("residential")
    np.testing.assert_allclose(change[:, group], np.expm1(drift), atol=1e-12)
    assert (change[:, 0] == 0).all() and (plain["pull_change_per_year"].values == 0).all()
    np.testing.assert_allclose(
        carried["pull_level_by_year"].values, plain["pull_level_by_year"].values, atol=1e-12
    )  # undamped: the yearly change alone, the same shocks
    with pytest.raises(pc.ConfigError, match="change the fit; only trend_damping"):
        fit.reforecast(draws=50)
    # A reforecast is the same posterior: its diagnostics are the fit's, not warned about again
    # (a backtest reforecasts each fit once per variant).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = fit.reforecast(trend_damping=0.5)
    assert again.diagnostics_ is fit.diagnostics_


def test_ages_on_ceasing_are_observed_unless_ignored(hackney_counts):
    """The published ceases by age on ceasing are a Dirichlet-multinomial of the model's
    leavers by age (own concentration), on the years of flows with every part published
    (2015's ages stop at "16 and over", and it is the starting year anyway)."""
    observed = AggregateModel().build(hackney_counts)
    ignored = AggregateModel(ceases_by_age="ignored").build(hackney_counts)
    names = {v.name for v in observed.observed_RVs}
    assert "ceases_by_age_band" in names
    assert "ceases_by_age_band" not in {v.name for v in ignored.observed_RVs}
    assert "ceases_age_concentration" in observed.named_vars
    assert "ceases_age_concentration" not in ignored.named_vars
    bands = hackney_counts.ceases_by_age_band
    years = hackney_counts.years
    want = bands[(years >= 2016) & ~np.isnan(bands).any(axis=1)]
    seen = observed.rvs_to_values[observed["ceases_by_age_band"]].data  # the observed counts
    np.testing.assert_array_equal(seen, want)
    assert want.shape == (2, 6)  # 2016 and 2017
    blank = replace(hackney_counts, ceases_by_age_band=np.full_like(bands, np.nan))
    assert "ceases_by_age_band" not in {v.name for v in AggregateModel().build(blank).observed_RVs}


def test_starting_ages_fitted_keep_the_published_total_and_groups(hackney_counts):
    """``starting_ages="fitted"`` (a forecast setting): the starting stock is the published
    total and placement groups with the fitted model's own age mix."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only the stock matters
        fit = AggregateModel(draws=50, tune=100, retry="none").fit(hackney_counts, seed=3)
    published = fit.reforecast(starting_ages="published").initial_stock()
    fitted = fit.initial_stock()  # the default
    assert fit.starting_ages == "fitted"
    assert fitted.counts.sum() == published.counts.sum() == hackney_counts.children_in_care[-1]
    groups = {g: list(m) for g, m in PLACEMENT_GROUPS.items()}
    for members in groups.values():
        a = fitted.by_band().loc[members].to_numpy().sum()
        b = published.by_band().loc[members].to_numpy().sum()
        assert abs(a - b) <= 1  # groups kept to within rounding
    # The published bands, scaled to the total (DfE's bands of 2017 add up to 3 more).
    np.testing.assert_allclose(
        published.by_band().sum(axis=0).to_numpy(), hackney_counts.stock_by_age_band[-1], atol=1
    )
    own = fit.idata_.posterior["expected_stock_at_end"].mean(("chain", "draw")).sum("placement")
    want = own.values / own.values.sum() * fitted.counts.sum()
    np.testing.assert_allclose(fitted.by_band().sum(axis=0).to_numpy(), want, atol=1.0)


def _observed_logp(model, point, names=None):
    """Log likelihood of the published counts (``names``: those observed variables only)."""
    observed = [model[n] for n in names] if names else model.observed_RVs
    return float(model.compile_logp(vars=observed, mode=COMPILE_MODE)(point))


def test_count_noise_by_measure_with_equal_noises_is_the_shared_model(hackney_counts):
    """Known answer: with the three counts' own noises all at the shared noise's value, the
    likelihood of the published counts is the shared model's; the free variables say which
    model was built."""
    shared = AggregateModel(count_noise="shared").build(hackney_counts)
    own = AggregateModel(count_noise="by_measure").build(hackney_counts)
    names = ("stock_count_cv", "starts_count_cv", "ceases_count_cv")
    assert "count_cv" in shared.named_vars and not set(names) & set(shared.named_vars)
    assert set(names) <= set(own.named_vars) and "count_cv" not in own.named_vars
    for cv in (0.01, 0.05, 0.3):
        point = shared.initial_point()
        point["count_cv_log__"] = np.log(cv)
        same = {k: v for k, v in point.items() if k != "count_cv_log__"}
        same.update({f"{n}_log__": np.log(cv) for n in names})
        assert _observed_logp(own, same) == pytest.approx(_observed_logp(shared, point), 1e-10)


@pytest.mark.parametrize(
    ("noise", "count"),
    [
        ("stock_count_cv", "children_in_care"),
        ("starts_count_cv", "starts"),
        ("ceases_count_cv", "ceases"),
    ],
)
def test_each_counts_noise_reaches_its_own_likelihood_only(hackney_counts, noise, count):
    """A count's own noise widens its own likelihood and leaves the others' as they were."""
    model = AggregateModel(count_noise="by_measure").build(hackney_counts)
    before = model.initial_point()
    after = {**before, f"{noise}_log__": before[f"{noise}_log__"] + 1.0}
    for other in ("children_in_care", "starts", "ceases"):
        changed = _observed_logp(model, after, [other]) != _observed_logp(model, before, [other])
        assert changed == (other == count), other


def test_trend_dampings_default_and_follow_each_other():
    """The default forecast holds entries at their last level and halves the exit drift's
    posterior mean each year, keeping each draw's difference from it (the entry run's choice);
    the exit damping may be None (it then follows trend_damping), while trend_damping itself
    must be a fraction in (0, 1]."""
    from placecast.fit.settings import AggregateSettings

    default = AggregateSettings()
    assert (default.trend_damping, default.exit_trend_damping) == (0.01, 0.5)
    assert (default.trend_uncertainty, default.forecast_shocks) == ("kept", "once")
    assert AggregateSettings(exit_trend_damping=None).exit_trend_damping is None
    for bad in (None, 0.0, 1.5):
        with pytest.raises(pc.ConfigError, match=r"trend_damping must be in \(0, 1\]"):
            AggregateSettings(trend_damping=bad)
    with pytest.raises(pc.ConfigError, match=r"exit_trend_damping must be in \(0, 1\]"):
        AggregateSettings(exit_trend_damping=0.0)


def test_every_setting_reads_as_an_attribute_of_the_model():
    """No method of the model hides a setting of the same name (``count_noise`` once did, so a
    saved fit never matched its settings and was refitted)."""
    from dataclasses import fields

    from placecast.fit.settings import AggregateSettings

    chosen = AggregateSettings(count_noise="shared", draws=17)
    model = AggregateModel(settings=chosen)
    for f in fields(AggregateSettings):
        assert getattr(model, f.name) == getattr(chosen, f.name), f.name


def test_count_noise_of_a_fit_per_measure_or_shared():
    """``count_cv_draws`` reads each measure's own noise, or the shared one of older fits, and
    refuses an unknown measure naming the choices."""
    import arviz as az

    rng = np.random.default_rng(0)
    draws = {n: rng.uniform(0.01, 0.1, (2, 5)) for n in ("stock", "starts", "ceases")}
    model = AggregateModel()
    model.idata_ = az.from_dict(posterior={f"{n}_count_cv": v for n, v in draws.items()})
    np.testing.assert_array_equal(model.count_cv_draws("starts"), draws["starts"].reshape(-1))
    np.testing.assert_array_equal(model.count_cv_draws("children_in_care"), draws["stock"].ravel())
    old = AggregateModel()
    old.idata_ = az.from_dict(posterior={"count_cv": draws["ceases"]})
    for measure in ("children_in_care", "starts", "ceases"):
        np.testing.assert_array_equal(old.count_cv_draws(measure), draws["ceases"].ravel())
    with pytest.raises(pc.ConfigError, match="children_in_care, starts, ceases"):
        model.count_cv_draws("fostering")


def test_exit_random_walk_at_zero_is_the_fixed_model(hackney_counts):
    """With no year-to-year change (shocks at zero) the random-walk exit model's expectations
    are the fixed model's, year by year."""
    got = {}
    for exit_model in ("random_walk", "fixed"):
        model = AggregateModel(exit_model=exit_model).build(hackney_counts)
        assert ("exit_year_z" in model.named_vars) == (exit_model == "random_walk")
        point = model.initial_point()
        point["log_entries_per_year"] = np.log(180.0)
        got[exit_model] = _expected_at(model, point)
    for name, value in got["fixed"].items():
        np.testing.assert_allclose(got["random_walk"][name], value, rtol=1e-12)


def test_exit_level_changes_move_ceases_in_that_year_only(hackney_counts):
    """A lower exit level in the second year lowers that year's ceases (by less than the
    change: 18th birthdays do not move with it) and leaves the first year alone. (Standardised
    shocks, so the point sets the level through exit_year_z.)"""
    model = AggregateModel(random_walks="non_centered").build(hackney_counts)
    point = model.initial_point()
    base = _expected_at(model, point)
    point["exit_year_z"] = np.array([np.log(0.8) / 0.1])  # level log(0.8) at sd 0.1
    point["exit_year_sd_log__"] = np.array(np.log(0.1))
    low = _expected_at(model, point)
    assert low["expected_ceases"][0] == pytest.approx(base["expected_ceases"][0], rel=1e-12)
    ratio = low["expected_ceases"][1] / base["expected_ceases"][1]
    assert 0.8 < ratio < 0.97
    assert low["expected_children_in_care"][1] > base["expected_children_in_care"][1]


def test_exit_drift_moves_every_later_year(hackney_counts):
    """With a drift and no shocks the exit level falls by the drift each year of flows.
    (Standardised shocks: at z = 0 a drift moves the level; centred shocks carry it.)"""
    fitter = AggregateModel(random_walks="non_centered")
    model = fitter.build(hackney_counts)
    point = model.initial_point()
    point.update(_own_scale(fitter.priors, exit_drift=np.log(0.9)))
    level = model.compile_fn(
        model.replace_rvs_by_values([model["log_exit_level"]])[0],
        inputs=model.value_vars,
        point_fn=True,
        on_unused_input="ignore",
        mode=COMPILE_MODE,
    )(point)
    n = len(model.coords["flow_year"])
    np.testing.assert_allclose(level, np.log(0.9) * np.arange(n), rtol=1e-12)
    ceases = _expected_at(model, point)["expected_ceases"]
    base = _expected_at(model, model.initial_point())["expected_ceases"]
    assert ceases[0] == pytest.approx(base[0], rel=1e-12)
    assert np.all(np.diff(ceases[1:] / base[1:]) < 0)  # lower and lower against no drift


def _national_priors(**values):
    """Default priors with England's yearly changes set by hand (2014-2017 covers any fit of
    ``hackney_counts``)."""
    years = (2014, 2015, 2016, 2017)
    return replace(
        AggregatePriors(exit_drift_mean=-0.02, entry_growth_mean=0.01),
        national_exit_years=years,
        national_exit_change=(0.03, 0.01, -0.05, -0.08),
        national_entry_years=years,
        national_entry_change=(0.0, 0.03, 0.02, -0.04),
        **values,
    )


def test_national_years_move_the_fitted_levels_by_englands_changes(hackney_counts):
    """Known answer: with ``national_years="england"``, at the drift's prior mean and no shocks
    the exit level moves each year by the drift plus England's change beyond England's mean
    change up to the last fitted year, and entries by England's change beyond that mean; with
    ``"none"`` the same point gives the drift alone and flat entries."""
    priors = _national_priors()
    models = {
        years: AggregateModel(
            priors=priors, random_walks="non_centered", national_years=years
        ).build(hackney_counts)
        for years in ("none", "england")
    }
    point = models["england"].initial_point()
    point.update(_own_scale(priors, exit_drift=priors.exit_drift_mean))
    level = {
        k: m.compile_fn(
            m.replace_rvs_by_values([m["log_exit_level"]])[0],
            inputs=m.value_vars,
            point_fn=True,
            on_unused_input="ignore",
            mode=COMPILE_MODE,
        )(point)
        for k, m in models.items()
    }
    years = models["england"].coords["year"]
    last = years[-1]

    def beyond(held: tuple[int, ...], changes: tuple[float, ...], of: list[int]) -> np.ndarray:
        change = dict(zip(held, changes, strict=True))
        trend = np.mean([c for y, c in change.items() if y <= last])  # England's own mean
        return np.array([change[y] - trend for y in of])

    flow_years = models["england"].coords["flow_year"]
    exits = beyond(priors.national_exit_years, priors.national_exit_change, flow_years[1:])
    steps = -0.02 + exits  # the council's drift at England's fitted one, plus England's part
    np.testing.assert_allclose(level["england"], np.r_[0.0, np.cumsum(steps)], atol=1e-12)
    np.testing.assert_allclose(level["none"], -0.02 * np.arange(len(flow_years)), atol=1e-12)
    starts = {k: _expected_at(m, point)["expected_starts"] for k, m in models.items()}
    entries = beyond(priors.national_entry_years, priors.national_entry_change, years[1:])
    np.testing.assert_allclose(
        np.log(starts["england"] / starts["none"]), np.r_[0.0, np.cumsum(entries)], atol=1e-10
    )


def test_national_years_need_englands_changes_and_random_walks(hackney_counts, dfe):
    with pytest.raises(pc.ConfigError, match="no national exit change for .*with_national_years"):
        AggregateModel(national_years="england").build(hackney_counts)
    with pytest.raises(pc.ConfigError, match="needs entry_model and exit_model 'random_walk'"):
        AggregateModel(
            priors=_national_priors(), national_years="england", exit_model="fixed"
        ).build(hackney_counts)
    with pytest.raises(pc.ConfigError, match="one finite change per year"):
        replace(AggregatePriors(), national_exit_years=(2016,), national_exit_change=())
    england = published_counts(dfe, "England").upto(2017)
    p = AggregatePriors().with_national_years(england)
    assert p.national_entry_years == (2015, 2016, 2017)  # starts from 2014
    assert p.national_exit_years == (2016, 2017)  # ceases per child need two stocks
    assert "England's published yearly changes" in p.source
    # Beyond England's own mean change (not its fitted drift, another scale): they add to 0.
    held = np.array(p.national_exit_years)
    assert p.national_change("exit", held).sum() == pytest.approx(0.0, abs=1e-12)
    assert p.national_change("exit", np.array([], dtype=int)).size == 0  # two fitted years
    with pytest.raises(pc.ConfigError, match="give 1 national exit change"):
        p.national_spread("exit", 2016)


def test_national_years_build_a_fit_of_two_published_years(hackney_counts, dfe):
    """Two years give one year of flows and no exit step: England's part is empty there, and
    the entry step carries England's change beyond its mean."""
    england = published_counts(dfe, "England").upto(int(hackney_counts.years[-1]))
    two = hackney_counts.since(int(hackney_counts.years[-2]))
    model = AggregateModel(
        priors=AggregatePriors().with_national_years(england), national_years="england"
    ).build(two)
    assert "exit_year_z" not in model.named_vars
    assert len(model.coords["later_year"]) == 1


@pytest.mark.slow  # a fit: a statistical check (CI's slow step)
def test_national_years_forecast_draws_englands_future_changes(dfe):
    """The same posterior forecast with and without England's part: with it, entries start
    from the fitted steps' national part and every forecast year's log entry and exit levels
    add a fresh national change of England's spread, mean 0 (England's trend is in the
    council's drift); the council's own shocks are the same draws."""
    counts = published_counts(dfe, "Hackney").upto(2018)
    priors = AggregatePriors().with_national_years(published_counts(dfe, "England").upto(2018))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only the forecast matters
        fit = AggregateModel(
            priors=priors, national_years="england", draws=150, tune=200, retry="none"
        ).fit(counts, seed=3)
    plain = AggregateModel(priors, replace(fit.settings, national_years="none"))
    plain.idata_ = fit.idata_
    plain._learn(fit.counts_, fit.seed_, fit.diagnostics_)
    national, own = fit.rates_.data, plain.rates_.data
    years = np.arange(fit.first_year_, fit.last_year_ + 1)
    fitted_entry = priors.national_change("entry", years[1:]).sum()
    np.testing.assert_allclose(
        np.log(national["entries_per_year"].values / own["entries_per_year"].values),
        fitted_entry,
        atol=1e-10,
    )
    for kind, name in (("entry", "entry_level_by_year"), ("exit", "exit_level_by_year")):
        sd = priors.national_spread(kind, 2018)
        steps = np.diff(np.log(national[name].values / own[name].values), axis=1)
        # 300 draws x 9 years of England's fresh changes
        assert steps.mean() == pytest.approx(0.0, abs=3 * sd / np.sqrt(steps.size))
        assert 0.9 < steps.std() / sd < 1.1


@pytest.mark.slow  # several fits: a long statistical check (CI's slow step)
def test_exit_random_walk_forecast_starts_from_the_latest_level(hackney_counts):
    """In the last fitted year 30% fewer children leave and stay in care instead. The
    random-walk exit model carries a lower exit level into the forecast's rates (shrunk by its
    prior: a fall this size is 3 prior sds); the fixed model spreads it over the years."""
    c = hackney_counts
    stayed = round(c.ceases[-1] * 0.3)
    grow = (c.children_in_care[-1] + stayed) / c.children_in_care[-1]
    ceases, total = c.ceases.copy(), c.children_in_care.copy()
    bands, groups = c.stock_by_age_band.copy(), c.stock_by_group.copy()
    ceases[-1] -= stayed
    total[-1] += stayed
    bands[-1] *= grow
    groups[-1] *= grow
    # Those who stayed would have left before 18: the ages on ceasing say so too.
    ages = c.ceases_by_age_band.copy()
    ages[-1, :-1] *= 1 - stayed / ages[-1, :-1].sum()
    counts = replace(
        c,
        ceases=ceases,
        children_in_care=total,
        stock_by_age_band=bands,
        stock_by_group=groups,
        ceases_by_age_band=np.round(ages),
    )
    exit_rate = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only the level matters
        for exit_model in ("random_walk", "fixed"):
            fit = AggregateModel(draws=200, tune=300, exit_model=exit_model, retry="none").fit(
                counts, seed=4
            )
            rates = fit.rates_.in_year(0).data["exit_rate_per_year"].sum("exit_reason")
            exit_rate[exit_model] = float(rates.median("draw").mean())
            if exit_model == "random_walk":
                post = fit.idata_.posterior
                level = post["log_exit_level"].mean(("chain", "draw")).values
                # With one shock held, later forecast years follow each draw's drift, damped.
                held = fit.reforecast(
                    forecast_shocks="once",
                    trend_damping=0.5,
                    exit_trend_damping=None,
                    trend_uncertainty="damped",
                )
                path = np.log(held.rates_.data["exit_level_by_year"].values)
                drift = post["exit_drift"].stack(s=("chain", "draw")).values
                np.testing.assert_allclose(
                    np.diff(path, axis=1), drift[:, None] * 0.5 ** np.arange(2, 11)[None, :]
                )
            else:
                assert not fit.rates_.exits_change
    assert level[0] == 0.0 and level[-1] < -0.05  # -0.094 seen
    assert exit_rate["random_walk"] < 0.95 * exit_rate["fixed"]  # 0.50 against 0.56 seen


def test_stock_growth_prior_adds_a_year_the_engine_agrees_with(hackney_counts):
    """Known answer: with a stock-growth prior the model runs one year past the data without
    changing the fitted years, and the growth it implies for that year is the engine's expected
    change of children in care in that year (monthly steps, structure rates, entries growing
    10% a year, from the same 2015 stock)."""
    pooled = AggregatePriors(stock_growth_mean=0.02, stock_growth_sd=0.025)
    got = {}
    for priors in (AggregatePriors(), pooled):
        model = AggregateModel(priors=priors, step_months=1).build(hackney_counts)
        point = model.initial_point()
        point["log_entries_per_year"] = np.log(200.0)
        point.update(_own_scale(priors, entry_log_growth=0.1))
        got[priors.stock_growth_sd] = (_expected_at(model, point), model, point)
    (plain, _, _), (extra, model, point) = got[None], got[0.025]
    for name, value in plain.items():
        np.testing.assert_allclose(extra[name], value, rtol=1e-12)
    assert {"entry_forecast_adjust_z", "exit_forecast_adjust_z"} <= set(model.named_vars)
    growth = model.compile_fn(
        model.replace_rvs_by_values([model["expected_stock_growth_next_year"]])[0],
        inputs=model.value_vars,
        point_fn=True,
        on_unused_input="ignore",
        mode=COMPILE_MODE,
    )(point)

    rates = _structure_rates(pooled, 200.0, 0.1)
    stock = published_initial_stock(hackney_counts, 2015, pooled)
    ex = pc.expected(stock, rates, no_capacity_limit(), months=36, start="2015-03")
    total = ex["children"].isel(path=0).sum(("placement", "age_band"))
    want = float(total.isel(month=36) / total.isel(month=24)) - 1.0
    assert abs(want) > 0.02  # a real change to agree on
    assert float(growth) == pytest.approx(want, abs=0.002)


@pytest.mark.slow  # several fits: a long statistical check (CI's slow step)
def test_stock_growth_prior_pools_the_forecast_year(hackney_counts):
    """Hackney to 2017: its own flows imply children in care +12% in 2017/18 (0.124 seen;
    382 were published). A stock-growth prior at 0 +- 0.01 pulls the forecast year's flows to
    near no change, the forecast's rates use that year's sampled shocks, and the engine's
    forecast from those rates follows."""
    forecast, fits = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # short chains; only levels matter
        for sd in (None, 0.01):
            priors = AggregatePriors(stock_growth_mean=0.0, stock_growth_sd=sd)
            fit = AggregateModel(priors=priors, draws=200, tune=300, retry="none").fit(
                hackney_counts, seed=3
            )
            ex = pc.expected(
                fit.initial_stock(), fit.rates_, no_capacity_limit(), months=12, start="2017-03"
            )
            total = ex["children"].sum(("placement", "age_band")).median("path")  # over draws
            forecast[sd] = float(total.isel(month=12) / total.isel(month=0)) - 1
            fits[sd] = fit
    assert forecast[None] > 0.08  # 0.12 seen
    assert abs(forecast[0.01]) < 0.03  # 0.004 seen
    post = fits[0.01].idata_.posterior.stack(sample=("chain", "draw"))
    assert abs(float(post["expected_stock_growth_next_year"].mean())) < 0.02  # 0.002 seen
    # The forecast's entries are the random walk's next step from the adjusted level, with a
    # fresh year's shock on top: standard normal once the sampled parts are taken out.
    adjusted = (
        post["log_entries_per_year"]
        + post["entry_log_growth"] * 2
        + post["entry_year_sd"]
        * (post["entry_year_z"].sum("later_year") + post["entry_forecast_adjust_z"])
    )
    first_year = fits[0.01].rates_.in_year(0).data["entries_per_year"].values
    # The first year's damped trend at mid-year, against the undamped growth within the year.
    trend = post["entry_log_growth"].values * (0.5 * fits[0.01].trend_damping - 0.5)
    fresh = (np.log(first_year) - trend - adjusted.values) / post["entry_year_sd"].values
    assert abs(fresh.mean()) < 0.2 and 0.8 < fresh.std() < 1.2
    assert "entry_forecast_adjust_z" not in fits[None].idata_.posterior


def _synthetic_counts(truth: pc.Rates, stock: pc.InitialStock, years: int, seed: int):
    """Published-style counts from one simulated path of the engine with known rates."""
    sim = pc.simulate(
        stock, truth, no_capacity_limit(), months=12 * years, paths=1, seed=seed, start="2015-03"
    )
    children = sim["children"].isel(path=0)
    at = [12 * k for k in range(years + 1)]
    by_band = children.isel(month=at).sum("placement").values
    groups = np.stack(
        [
            children.isel(month=at).sel(placement=list(m)).sum(("placement", "age_band")).values
            for m in PLACEMENT_GROUPS.values()
        ],
        axis=1,
    )
    flows = np.full(years + 1, np.nan)
    starts, ceases, starts_bands = flows.copy(), flows.copy(), np.full((years + 1, 5), np.nan)
    for k in range(1, years + 1):
        months = slice(12 * (k - 1) + 1, 12 * k + 1)  # the year's 12 months, ending at 31 March
        starts[k] = float(sim["entries"].isel(path=0, month=months).sum())
        ceases[k] = float(sim["exits"].isel(path=0, month=months).sum())
    # Flows and stocks agree, as in a published table (an 11-month year once slipped through).
    total = by_band.sum(axis=1)
    np.testing.assert_array_equal(np.diff(total), (starts - ceases)[1:])
    return PublishedCounts(
        council="Synthetic",
        la_code="X",
        years=np.arange(2015, 2016 + years),
        children_in_care=by_band.sum(axis=1).astype(float),
        stock_by_age_band=by_band.astype(float),
        stock_by_group=groups.astype(float),
        starts=starts,
        ceases=ceases,
        starts_by_age_band=starts_bands,
    )


@pytest.mark.slow
def test_aggregate_fit_recovers_known_multipliers(hackney_counts):
    """Recovery: counts simulated by the engine from the structure with known multipliers (a
    council of about 3,000 children, 5 years) are fitted. Rule: of the ten parameters with a
    known truth (entry level and growth, five exit multipliers, two entry tilts, the move tilt)
    at least eight have it inside their 94% interval and all inside their 99.5% interval; R-hat
    <= 1.03 and at most 0.5% of transitions divergent (1-2 of 1,200 seen: the entry shocks'
    funnel when the truth has none); and the true rates' forecast of the stock two years on lies
    inside the fitted forecast's central 90% interval, narrower than 35% of it. (Published
    totals identify the exit multipliers of neighbouring age bands only jointly, so single misses
    at 94% are expected. The forecast is judged by its interval, not its mean: the random walk
    starts from the last year's entries, and in this realisation they ran 1.8 sd above their
    mean, which put the fitted mean 5.8% above the truth, at its 25th percentile.)"""
    priors = AggregatePriors()
    truth_growth, truth_exit = 0.03, np.array([0.0, 0.3, -0.2, 0.2, -0.1])
    ds = priors.structure.data.isel(draw=0)
    truth = pc.Rates.build(
        priors.structure.space,
        entries_per_year=1500.0,
        entry_growth_per_year=np.exp(truth_growth) - 1,
        entry_age_band_share=np.asarray(priors.entry_age_share),
        entry_placement_share=ds["entry_placement_share"].values,
        move_rate_per_year=ds["move_rate_per_year"].values,
        exit_rate_per_year=ds["exit_rate_per_year"].values * np.exp(truth_exit)[:, None, None],
    )
    stock = pc.InitialStock.from_band_table(
        truth.space, published_stock(hackney_counts, 2017, priors) * 8
    )
    counts = _synthetic_counts(truth, stock, years=5, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # diagnostics are asserted below
        fit = AggregateModel(priors=priors, draws=600, tune=800, retry="none").fit(counts, seed=2)
    post = fit.idata_.posterior
    truths = {
        "log_entries_per_year": [np.log(1500.0)],
        "entry_log_growth": [truth_growth],
        "log_exit_scale": truth_exit,
        "entry_tilt": [0.0, 0.0],
        "move_tilt": [0.0],
    }
    inside_94, inside_995 = [], []
    for name, values in truths.items():
        draws = post[name].values.reshape(-1, len(values))
        for k, value in enumerate(values):
            lo94, hi94, lo995, hi995 = np.quantile(draws[:, k], [0.03, 0.97, 0.0025, 0.9975])
            inside_94.append(lo94 <= value <= hi94)
            inside_995.append(lo995 <= value <= hi995)
    assert sum(inside_94) >= 8 and all(inside_995), (inside_94, inside_995)
    assert fit.diagnostics_.loc[0, "max_r_hat"] <= 1.03
    assert fit.diagnostics_.loc[0, "divergences"] <= 0.005 * fit.diagnostics_.loc[0, "draws"]
    start = fit.initial_stock()
    future = pc.expected(
        start,
        fit.rates_.select_draws(np.arange(0, 1200, 12)),
        no_capacity_limit(),
        months=24,
        start="2020-03",
    )
    truth_now = replace_entries(truth, 1500.0 * np.exp(truth_growth * 5))
    true_future = pc.expected(start, truth_now, no_capacity_limit(), months=24, start="2020-03")
    got = future["children"].isel(month=24).sum(("placement", "age_band")).values
    want = float(true_future["children"].isel(month=24).sum(("placement", "age_band")).mean())
    low, high = np.quantile(got, [0.05, 0.95])
    assert low < want < high  # 3,563 < 3,845 < 4,610 seen
    assert high - low < 0.35 * want  # not met by width alone: 27% seen


def replace_entries(rates: pc.Rates, entries: float) -> pc.Rates:
    ds = rates.data.isel(draw=0)
    return pc.Rates.build(
        rates.space,
        entries_per_year=entries,
        entry_growth_per_year=float(ds["entry_growth_per_year"]),
        entry_age_band_share=ds["entry_age_band_share"].values,
        entry_placement_share=ds["entry_placement_share"].values,
        move_rate_per_year=ds["move_rate_per_year"].values,
        exit_rate_per_year=ds["exit_rate_per_year"].values,
    )


def test_fit_published_and_backtest_commands(tmp_path, capsys):
    """Both commands end to end on one council (short runs: convergence warnings are fine)."""
    from placecast.cli import main

    out = tmp_path / "fit"
    common = ["--data", str(FOLDER), "--draws", "100", "--tune", "150", "--default-priors"]
    common += ["--retry", "none"]  # short chains on purpose: one attempt
    # Chains this short can stay where nutpie's U(-1, 1) jitter started them (e.g. an exit
    # drift of +0.9 a year) with centred shocks; standardised ones find the posterior here.
    common += ["--random-walks", "non_centered"]
    common_fit = [*common, "--accept-poor-fit"]  # short chains fail the fit check by design
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(
            [
                "fit-published",
                "--council",
                "Hackney",
                "--last-year",
                "2018",
                *common_fit,
                "--stock-growth",
                "0.02",
                "0.025",
                "--out",
                str(out),
            ]
        )
    assert code == 0
    assert {p.name for p in out.iterdir()} >= {
        "posterior.nc",
        "parameters_summary.csv",
        "diagnostics.csv",
        "published_and_fitted.csv",
        "stock_at_last_year.csv",
        "inputs",
    }
    inputs = load_inputs(out / "inputs")
    assert inputs.initial.total == 382 and inputs.start == "2018-03"  # Hackney, 31 March 2018
    assert inputs.rates.n_draws == 200
    # The exit level's drift is summarised and saved with the rates the forecast runs on.
    summary = pd.read_csv(out / "parameters_summary.csv", index_col=0)
    assert {"exit_drift", "starts_counted_share"} <= set(summary.index)
    assert inputs.rates.exits_change
    # --stock-growth pools the forecast year (default priors have no such prior) and says so.
    growth = summary.loc["expected_stock_growth_next_year", "mean"]
    assert -0.1 < growth < 0.1
    assert any("+2.0% (sd 0.025), set by the user" in s for s in inputs.sources)
    # Hackney's own carers from Ofsted's 2018-19 data, cited, instead of a placeholder.
    assert inputs.supply.households == 105 and inputs.supply.approvals_per_year == 15
    assert any(s.startswith("carer supply: published 2018-19") for s in inputs.sources)
    assert "unit costs and budget are placeholders" in inputs.name
    # The fostering split comes from Hackney's providers at 31 March 2018, cited.
    assert any(s.startswith("fostering split in-house") and "2018" in s for s in inputs.sources)
    # The fitted inputs drive a forecast like any other council's.
    fc = pc.forecast(inputs, months=24, paths=50, seed=1)
    assert fc.children_summary().shape[0] >= 2

    bt = tmp_path / "bt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(
            [
                "backtest",
                "--council",
                "Hackney",
                "--last-fit-year",
                "2017",
                *common,
                "--out",
                str(bt),
            ]
        )
    assert code == 0
    rows = pd.read_csv(bt / "backtest_rows.csv")
    assert set(rows["measure"]) == {
        "children_in_care",
        "fostering",
        "residential_semi_independent",
        "starts",
        "ceases",
    }
    assert (
        rows.loc[(rows["measure"] == "children_in_care") & (rows["year"] == 2019), "actual"].item()
        == 405
    )
    assert (rows["q05"] <= rows["q50"]).all() and (rows["q50"] <= rows["q95"]).all()
    assert "| children in care |" in capsys.readouterr().out

    # A stock-growth sd that is not positive is refused before any fit, naming the setting.
    bad = ["fit-published", "--council", "Hackney", *common, "--stock-growth", "0.02", "0"]
    assert main([*bad, "--out", str(tmp_path / "bad")]) == 2
    assert "stock_growth_sd must be > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: the two options exclude each other
        main([*bad, "--no-stock-growth-prior"])


@pytest.mark.slow
def test_national_priors_follow_englands_own_series(dfe):
    """England to 2017 (DfE tables): starts rose (31,350 in 2014/15 to 32,940 in 2016/17), ceases
    per child in care fell (0.456 to 0.439 from 2015/16 to 2016/17) and the stock grew by ~2% of
    starts more than starts minus ceases. National priors carry those directions to councils."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        priors = national_priors(dfe, 2017)
    assert priors.entry_growth_mean > 0
    assert priors.exit_drift_mean < 0
    assert 0.95 < priors.starts_counted_share < 1.0
    # Council spreads are the documented ones, not the wide ones England was fitted with.
    assert priors.exit_year_sd == AggregatePriors.exit_year_sd
    assert priors.exit_drift_sd == AggregatePriors.exit_drift_sd
    assert "2015-2017" in priors.source and "exit level" in priors.source
    # The forecast year's stock growth is pooled towards England's: 69,470 (2015) to 72,610 (2017).
    england = published_counts(dfe, "E92000001").upto(2017)
    assert priors.stock_growth_sd == 0.025
    total = dict(zip(england.years.tolist(), england.children_in_care, strict=True))
    assert priors.stock_growth_mean == pytest.approx(np.sqrt(total[2017] / total[2015]) - 1)
    assert 0.01 < priors.stock_growth_mean < 0.03 and "children in care" in priors.source


@pytest.mark.parametrize(
    ("councils_model", "englands_model"),
    [("fixed", "fixed"), ("drift", "drift"), ("random_walk", "fixed")],
)
def test_national_priors_fit_england_with_the_model_they_centre(
    dfe, monkeypatch, councils_model, englands_model
):
    """The random-walk pull takes no centre from England, so England is fitted with the fixed pull
    and both models' backtests start from the same national priors (a paired comparison)."""
    fitted: list[str] = []

    class Stop(Exception):
        pass

    def record(self, counts, *, seed=0, progressbar=False):
        fitted.append(self.placement_model)
        assert counts.la_code == "E92000001" and counts.years.max() == 2017
        raise Stop

    monkeypatch.setattr(AggregateModel, "fit", record)
    with pytest.raises(Stop):
        fit_national_priors(dfe, 2017, placement_model=councils_model)
    assert fitted == [englands_model]


def test_stock_growth_prior_set_or_removed_by_the_user_says_so():
    pooled = AggregatePriors(stock_growth_mean=0.02, stock_growth_sd=0.025, source="England")
    removed = pooled.with_stock_growth(None, None)
    assert removed.stock_growth_sd is None and removed.source == "England; no stock-growth prior"
    set_ = AggregatePriors(source="Hackney").with_stock_growth(-0.01, 0.05)
    assert (set_.stock_growth_mean, set_.stock_growth_sd) == (-0.01, 0.05)
    assert set_.source.endswith("-1.0% (sd 0.050), set by the user")
    with pytest.raises(pc.ConfigError, match="give a mean with the sd"):
        pooled.with_stock_growth(None, 0.05)
    with pytest.raises(pc.ConfigError, match="stock_growth_sd must be > 0 or None, got -0.05"):
        pooled.with_stock_growth(0.0, -0.05)


def test_a_fit_that_fails_its_check_writes_no_inputs_unless_accepted(tmp_path, capsys):
    """Chains far too short to converge: with --accept-poor-fit the command writes the inputs,
    and they carry the check, which the forecast and its reports show as a warning in words;
    without it the command exits 2 and writes no inputs folder (refitted into the accepted
    run's folder, it leaves no stale inputs from it)."""
    from placecast.cli import main

    args = ["fit-published", "--council", "Rutland", "--data", str(FOLDER), "--default-priors"]
    args += ["--draws", "15", "--tune", "15", "--step-months", "6"]
    args += ["--retry", "none"]  # chains far too short whatever the retry: one attempt is quicker
    kept = tmp_path / "kept"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--accept-poor-fit", "--out", str(kept)]) == 0
    assert "year(s) of ceases" not in capsys.readouterr().err  # four years: no short-series note
    inputs = load_inputs(kept / "inputs")
    assert inputs.fit_check is not None and inputs.fit_check["passed"] is False
    assert inputs.fit_check["problems"]
    out = tmp_path / "forecast"
    code = main(
        [
            "forecast",
            "--inputs",
            str(kept / "inputs"),
            "--paths",
            "20",
            "--months",
            "24",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith("WARNING: these inputs come from a fit that failed")
    assert "failed placecast&#x27;s check" in (out / "report.html").read_text()
    about = pd.read_excel(out / "report.xlsx", sheet_name="about").set_index("item")["value"]
    assert about["WARNING"].startswith("WARNING: these inputs come from a fit that failed")
    assert "FAILED" in about["fit check"]
    # The fit folders are written whole, with a manifest.
    manifest = json.loads((kept / MANIFEST).read_text())
    assert "inputs" in manifest["outputs"] and manifest["about"]["council"] == "Rutland"
    # Without the override: exit 2, the diagnostics to look at, no inputs (none left over).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main([*args, "--out", str(kept)]) == 2
    err = capsys.readouterr().err
    assert "FAILED" in err and "no inputs folder was written" in err
    assert "--no-stock-growth-prior" not in err  # no such prior to blame
    assert not (kept / "inputs").exists() and (kept / "diagnostics.csv").exists()
    assert "inputs" not in json.loads((kept / MANIFEST).read_text())["outputs"]
    # With a stock-growth prior, a council this small is told what to try, and what it costs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pooled = [*args, "--stock-growth", "0.02", "0.025", "--out", str(tmp_path / "pooled")]
        assert main(pooled) == 2
    err = capsys.readouterr().err
    assert "Note: Rutland had" in err and "fit again with another --seed" in err
    assert "--no-stock-growth-prior" in err and "forecast less accurately" in err
    assert not (tmp_path / "pooled" / "inputs").exists()


def test_the_fit_check_rule_known_answers():
    from placecast.fit.quality import check_fit

    good = pd.DataFrame([{"max_r_hat": 1.005, "min_ess_bulk": 400.0, "divergences": 0}])
    assert check_fit(good, model="m", chains=2, fitted_stock=100, published_stock=108).passed
    cases = {
        "R-hat up to 1.020": {"max_r_hat": 1.02},
        "bulk effective sample size down to 199": {"min_ess_bulk": 199.0},
        "1 divergent transitions": {"divergences": 1},
    }
    for message, change in cases.items():
        bad = good.assign(**change)
        check = check_fit(bad, model="m", chains=2)
        assert not check.passed and message in check.problems[0] and "FAILED" in check.summary()
        assert not check.converged
    # Stock: 10% of the published count or three Poisson sds, whichever is wider.
    missed = check_fit(good, model="m", chains=2, fitted_stock=100, published_stock=140)
    assert not missed.passed and missed.converged  # refused on its stock alone
    # Small councils: three Poisson sds (3 * sqrt(25) = 15) when wider than 10%.
    assert check_fit(good, model="m", chains=2, fitted_stock=40, published_stock=25).passed
    assert not check_fit(good, model="m", chains=2, fitted_stock=41, published_stock=25).passed
    assert check_fit(good, model="m", chains=2, fitted_stock=1089, published_stock=1000).passed
    assert not check_fit(good, model="m", chains=2, fitted_stock=1101, published_stock=1000).passed
    nan = good.assign(max_r_hat=float("nan"))
    assert not check_fit(nan, model="m", chains=2).passed  # not computable is not a pass
    assert not check_fit(nan, model="m", chains=2).converged


def test_shipped_national_priors_come_from_converged_england_fits(monkeypatch):
    """The priors shipped for 2017-2022 passed the fit check (R-hat <= 1.01, no divergences,
    enough ESS) and are used when the England series is the shipped tables'; a changed England
    series (other data) is not matched, so England is fitted again."""
    import json

    from placecast.data.published import published_tables
    from placecast.fit import national

    record = json.loads(national.SHIPPED.read_text())
    years = [e["last_year"] for e in record["priors"]]
    assert years == list(range(2017, 2023))
    for entry in record["priors"]:
        check = entry["check"]
        assert check["max_r_hat"] <= 1.01 and check["divergences"] == 0, entry["last_year"]
        assert check["min_ess_bulk"] >= 100 * check["chains"]
        assert not check["problems"]
    tidy = published_tables()

    def no_fit(*args, **kwargs):
        raise AssertionError("England was fitted although shipped priors match")

    monkeypatch.setattr(national, "fit_national_priors", no_fit)
    for year in years:
        priors = national_priors(tidy, year, placement_model="random_walk")
        assert f"-{year} " in priors.source
        assert priors == national_priors(tidy, year, placement_model="fixed")
    other = tidy.copy()
    england = (other["la_code"] == "E92000001") & (other["year"] == 2019)
    other.loc[england, "value"] = other.loc[england, "value"] * 1.01
    assert national.shipped_national_priors(other, 2019) is None
    assert national.shipped_national_priors(other, 2018) is not None  # 2019 not seen
    assert national.shipped_national_priors(tidy, 2019, placement_model="drift") is None
    with pytest.raises(AssertionError, match="England was fitted"):
        national_priors(tidy, 2019, seed=1)  # another seed: a fresh fit


@pytest.mark.parametrize("rate_per_year", [0.5, 8.0, 20.0, 60.0])
def test_the_fits_matrix_exponential_matches_scipys_for_large_rates(rate_per_year):
    """The fit's transition probabilities over a quarter equal scipy's expm (the engine's), up
    to rates a sampler may try for a small council; a Taylor series alone went wrong from
    about 8 a year (City of London to 2022: leaving rates of 2-20 a year in the posterior's
    tails, and divergences there)."""
    import pytensor.tensor as pt
    import scipy.linalg

    from placecast.fit.components import _step_matrices

    rng = np.random.default_rng(3)
    k = 11  # six placements and five exit reasons, as in the fit
    rates = rng.uniform(0, rate_per_year / 5, size=(2, 3, k, k))
    rates[..., 6:, :] = 0.0  # the exit states absorb
    generator = rates - np.eye(k) * rates.sum(axis=-1, keepdims=True)
    probs, entrants = (
        m.eval() for m in _step_matrices(pt.as_tensor_variable(generator), 3, 6, end_of_step=False)
    )

    def expm(t):  # scipy's, of each matrix times t years
        return np.stack([[scipy.linalg.expm(m * t) for m in row] for row in generator])[..., :6, :]

    assert np.abs(probs - expm(3 / 12)).max() < 1e-6  # a quarter
    # A quarter's entrants: a third each with 0, 1 and 2 months of it.
    assert np.abs(entrants - (expm(0) + expm(1 / 12) + expm(2 / 12)) / 3).max() < 1e-6
    assert np.allclose(probs.sum(axis=-1), 1.0) and np.allclose(entrants.sum(axis=-1), 1.0)


def test_the_parameter_summary_of_a_reference_year_is_nan_not_a_numpy_warning():
    """The first year's exit level is 0 in every draw (the reference): its R-hat is NaN in the
    table, and the user's screen shows no numpy RuntimeWarning (it did, for the City of London)."""
    import arviz as az

    rng = np.random.default_rng(0)
    level = rng.normal(size=(2, 50, 3))
    level[..., 0] = 0.0
    model = AggregateModel.__new__(AggregateModel)  # a fitted model's posterior, no fit
    model.idata_ = az.from_dict(
        posterior={"log_exit_level": level, "entry_year_sd": rng.lognormal(size=(2, 50))}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = model.summary()
    assert np.isnan(table.loc["log_exit_level[0]", "r_hat"])
    assert np.isfinite(table.loc["log_exit_level[1]", "r_hat"])


def test_a_fit_on_one_or_two_years_after_its_first_stock_says_so():
    """short_series_note: Dorset's shipped series (its first stock with ages in 2021) gives one
    year of ceases and children in care to fit; the note names it with that year's fitted and
    published flows. Three years or more: no note."""
    from types import SimpleNamespace

    from placecast.fit.published import FEW_FLOW_YEARS, short_series_note

    fitted = pd.DataFrame(
        {
            "children_in_care": [450.0, 450.0],
            "starts": [128.0, 138.0],
            "ceases": [156.0, 138.0],
            "fitted_children_in_care": [np.nan, 434.0],
            "fitted_starts": [131.0, 141.2],
            "fitted_ceases": [np.nan, 163.6],
        },
        index=pd.Index([2021, 2022], name="year"),
    )
    model = SimpleNamespace(fitted_=fitted, counts_=SimpleNamespace(council="Dorset"))
    assert short_series_note(model) == (
        "Dorset is fitted to 1 year(s) of ceases and children in care after its first stock "
        "(2021/22): its entry and exit rates rest mostly on England's priors (in 2021/22: "
        "fitted starts 141 against 138 published, ceases 164 against 138); check the "
        "forecast's flows against your own figures"
    )
    longer = pd.concat(
        [fitted.iloc[[1]].set_axis([y]) for y in range(2022 - FEW_FLOW_YEARS + 1, 2023)]
    )
    assert short_series_note(SimpleNamespace(fitted_=longer, counts_=model.counts_)) is None
