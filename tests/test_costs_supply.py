"""Costs (known answers, inflation, budgets, heavy tails) and carer supply."""

from __future__ import annotations

import numpy as np
import pytest

import placecast as pc
from conftest import COSTS, make_rates, no_capacity_limit, stock
from placecast.costs import child_weeks, placement_spend
from placecast.states import N_AGE_MONTHS
from placecast.summary import interval_summary
from placecast.supply import simulate_supply


def _steady(space, n=10, placement="ifa", months=24):
    return pc.simulate(
        stock(space, (placement, 24, n)),  # aged 2: nobody turns 18 in the horizon
        make_rates(space),
        no_capacity_limit(),
        months=months,
        paths=3,
        seed=0,
        start="2020-03",
    )


def test_constant_stock_costs_weeks_times_unit_cost(space):
    ds = _steady(space)
    spend = placement_spend(ds, pc.UnitCosts(COSTS, price_base_financial_year=2020), space)
    # 2020/21 has 365 days: 10 children x 200 GBP x 365/7 weeks.
    assert float(spend.sel(financial_year=2020, placement="ifa")[0]) == pytest.approx(
        10 * 200 * 365 / 7
    )
    assert float(spend.sel(financial_year=2020, placement="residential")[0]) == 0.0
    assert list(spend["financial_year"].values) == [2020, 2021]


def test_inflation_compounds_per_financial_year(space):
    ds = _steady(space)
    costs = pc.UnitCosts(
        COSTS,
        price_base_financial_year=2019,
        inflation_per_year={**dict.fromkeys(COSTS, 0.0), "ifa": 0.1},
    )
    spend = placement_spend(ds, costs, space).isel(path=0).sel(placement="ifa")
    assert float(spend.sel(financial_year=2020)) == pytest.approx(10 * 220 * 365 / 7)
    assert float(spend.sel(financial_year=2021)) == pytest.approx(10 * 242 * 365 / 7)


def test_partial_years_are_dropped_unless_asked(space):
    ds = _steady(space, months=18)
    full = placement_spend(ds, pc.UnitCosts(COSTS), space)
    assert list(full["financial_year"].values) == [2020]
    part = placement_spend(ds, pc.UnitCosts(COSTS), space, complete_years_only=False)
    assert list(part["financial_year"].values) == [2020, 2021]


def test_child_weeks_use_the_trapezoid_rule(space):
    ds = pc.simulate(
        stock(space, ("ifa", N_AGE_MONTHS - 1, 7)),  # all leave at 18 in month 1
        make_rates(space),
        no_capacity_limit(),
        months=2,
        paths=1,
        seed=0,
        start="2020-03",
    )
    weeks = child_weeks(ds).sel(placement="ifa").isel(path=0).values
    assert weeks.tolist() == pytest.approx([0.0, 3.5 * 30 / 7, 0.0])  # April has 30 days


def test_heavy_tail_keeps_the_mean_and_adds_spread(space):
    ds = _steady(space, n=20, placement="residential")
    ds = ds.isel(path=np.zeros(4000, dtype=int)).assign_coords(path=np.arange(4000))
    flat = placement_spend(ds, pc.UnitCosts(COSTS), space)
    tail = placement_spend(ds, pc.UnitCosts(COSTS, cost_cv={"residential": 0.5}), space, seed=1)
    f = flat.sel(placement="residential", financial_year=2020)
    t = tail.sel(placement="residential", financial_year=2020)
    assert float(f.std()) < 1e-9 * float(f.mean())
    assert float(t.mean()) == pytest.approx(float(f[0]), rel=0.01)
    # 20 child-years with CV 0.5 per child: CV of the total = 0.5 / sqrt(20).
    assert float(t.std() / t.mean()) == pytest.approx(0.5 / np.sqrt(20), rel=0.1)


def test_bad_costs_and_budgets_are_named(space):
    with pytest.raises(pc.ConfigError, match="no cost for"):
        pc.UnitCosts({"ifa": 1.0}).validate(space)
    with pytest.raises(pc.ConfigError, match=r"weekly_cost_gbp\['ifa'\]"):
        pc.UnitCosts({**COSTS, "ifa": -5.0}).validate(space)
    with pytest.raises(pc.ConfigError, match="unknown placements"):
        pc.UnitCosts({**COSTS, "boarding": 1.0}).validate(space)
    with pytest.raises(pc.ConfigError, match="no placement budget for financial years"):
        pc.Budget({2020: 1.0}).as_dataarray([2020, 2021])
    with pytest.raises(pc.ConfigError, match=">= 0"):
        pc.Budget({2020: -1.0})


def test_interval_summary_and_probability():
    import xarray as xr

    da = xr.DataArray(np.arange(-50, 50), dims="path")
    frame = interval_summary(da.expand_dims(financial_year=[2020]), probability_above_zero=True)
    row = frame.loc["2020/21"]  # financial years labelled as people write them
    assert row["median"] == pytest.approx(-0.5)
    assert row["probability_above_zero"] == pytest.approx(0.49)


def test_expected_supply_follows_the_balance_equation():
    supply = pc.CarerSupply(
        households=100,
        places_per_household=2,
        approvals_per_year=12,
        deregistration_rate_per_year=0.12,
    )
    months = 240
    out = simulate_supply(
        supply,
        approvals_per_year=np.full(months, 12.0),
        deregistration_rate_per_year=np.full(months, 0.12),
        places_per_household=np.full(months, 2.0),
        paths=1,
        rng=None,
    )
    # Continuous-time balance: h(t) -> approvals / rate = 100 in the long run; here it starts there.
    assert out.households[0, -1] == pytest.approx(100.0, rel=0.01)
    assert out.places[0, 0] == pytest.approx(200.0)


def test_more_approvals_never_means_fewer_households_on_the_same_numbers():
    base, more = (
        simulate_supply(
            pc.CarerSupply(
                households=90,
                places_per_household=2,
                approvals_per_year=9,
                deregistration_rate_per_year=0.15,
            ),
            approvals_per_year=np.full(60, a),
            deregistration_rate_per_year=np.full(60, 0.15),
            places_per_household=np.full(60, 2.0),
            paths=500,
            rng=np.random.default_rng(4),
        )
        for a in (9.0, 15.0)
    )
    assert (more.households >= base.households).all()
    assert (more.households > base.households).any()


def test_supply_quantiles_are_scipys():
    """The Poisson and binomial quantiles drawn for carer supply (a CDF table, a vectorised
    walk) are scipy's ppf, to the count, including no households and u = 0."""
    import scipy.stats

    from placecast.supply import _binomial_quantile, _poisson_quantile

    rng = np.random.default_rng(4)
    u = np.concatenate([[0.0, 1e-300, 0.5, 1 - 1e-12], rng.random(50_000)])
    for mean in (0.05, 0.5, 3.0, 40.0):
        want = np.maximum(scipy.stats.poisson.ppf(u, mean), 0.0)
        np.testing.assert_array_equal(_poisson_quantile(u, mean), want)
    households = rng.integers(0, 400, u.size).astype(float)
    households[:5] = 0.0
    for p in (0.001, 0.02, 0.3):
        want = np.maximum(np.nan_to_num(scipy.stats.binom.ppf(u, households, p)), 0.0)
        np.testing.assert_array_equal(_binomial_quantile(u, households, p), want)


def test_bad_supply_is_refused():
    with pytest.raises(pc.ConfigError, match="households"):
        pc.CarerSupply(
            households=-1,
            places_per_household=2,
            approvals_per_year=1,
            deregistration_rate_per_year=0.1,
        )
    with pytest.raises(pc.ConfigError, match="unusable_place_share"):
        pc.CarerSupply(
            households=1,
            places_per_household=2,
            approvals_per_year=1,
            deregistration_rate_per_year=0.1,
            unusable_place_share=1.0,
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("households", 1e12, "households must be a finite number from 0 to 100,000"),
        ("approvals_per_year", 1e12, "approvals_per_year must be a finite number from 0 to"),
        ("places_per_household", float("inf"), "places_per_household must be a finite"),
        ("households", True, "households must be a number"),
        ("deregistration_rate_per_year", "0.1", "deregistration_rate_per_year must be a number"),
    ],
)
def test_carer_supply_beyond_its_bounds_is_refused(field, value, message):
    """1e12 households overflowed the engine's counts (in-house capacity collapsed and the
    cost rose by £3.6m in the audit); now refused, naming the figure."""
    from placecast.supply import CarerSupply

    good = dict(
        households=100,
        places_per_household=2.0,
        approvals_per_year=10,
        deregistration_rate_per_year=0.1,
    )
    with pytest.raises(pc.ConfigError, match=message):
        CarerSupply(**{**good, field: value})
