"""Scenarios: zero levers = baseline, monotonicity in carers, conservation, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import placecast as pc
from placecast.costs import placement_spend


def test_zero_lever_scenario_equals_the_baseline_exactly(hackney):
    kw = dict(months=24, paths=60, seed=9)
    base = pc.forecast(hackney, **kw)
    same = pc.forecast(hackney, scenario=pc.Scenario("nothing changes"), **kw)
    assert base.data.equals(same.data)
    assert base.spend.equals(same.spend)
    cmp = pc.compare(hackney, [pc.Scenario("nothing changes")], **kw)
    assert float(np.abs(cmp.savings()).max()) == 0.0


@settings(max_examples=12, deadline=None)
@given(
    extra=st.floats(0.5, 40),
    start=st.integers(1, 30),
    dereg=st.floats(0.0, 0.3),
)
def test_more_carers_never_cost_more_in_expectation(hackney, extra, start, dereg):
    """Mean-field model (exact expectations): recruiting more never raises placement spend."""
    months = 36
    base = pc.Scenario("base", deregistration_rate_per_year=dereg, from_month=start)
    more = pc.Scenario(
        "more", deregistration_rate_per_year=dereg, from_month=start, extra_approvals_per_year=extra
    )
    spends = []
    for s in (base, more):
        ds = pc.expected(
            hackney.initial,
            hackney.rates,
            hackney.supply,
            months=months,
            drivers=s.drivers(hackney, months),
        )
        spends.append(placement_spend(ds, hackney.costs, hackney.space).sum("placement"))
    assert (spends[1] <= spends[0] + 1e-6).all()
    # Children are conserved whatever the levers.
    assert float(ds["children"].isel(month=-1).sum()) > 0


def test_recruitment_saves_money_on_common_random_numbers(hackney):
    cmp = pc.compare(
        hackney,
        [pc.Scenario("recruit 20 a year", extra_approvals_per_year=20)],
        months=36,
        paths=400,
        seed=4,
    )
    sav = cmp.savings_summary().loc["recruit 20 a year"]
    assert sav.loc[2022, "mean"] > 0
    # Common random numbers: the saving's spread is far below the spread of the cost itself.
    spread_cost = cmp.baseline.total_cost.sel(financial_year=2022).std()
    spread_saving = cmp.savings().sel(financial_year=2022).std()
    assert float(spread_saving) < 0.5 * float(spread_cost)
    # Fewer children end up in IFA, and the total in care is unchanged in expectation.
    ifa = [
        fc.children_by_placement().sel(placement="ifa").isel(month=-1).mean()
        for fc in cmp.forecasts
    ]
    assert float(ifa[1]) < float(ifa[0])


def test_scenarios_conserve_children(hackney):
    fc = pc.forecast(
        hackney,
        months=13,
        paths=20,
        seed=2,
        scenario=pc.Scenario("shock", entry_multiplier=1.3, extra_approvals_per_year=5),
    )
    ds = fc.data
    total = ds["children"].sum(("placement", "age_band"))
    flow = ds["entries"].sum("placement") - ds["exits"].sum(("placement", "exit_reason"))
    np.testing.assert_array_equal(
        total.diff("month").values, flow.isel(month=slice(1, None)).values
    )


def test_recruitment_costs_are_counted_and_break_even_reported(hackney):
    cmp = pc.compare(
        hackney,
        [
            pc.Scenario(
                "recruit", extra_approvals_per_year=12, cost_per_recruited_household_gbp=5000
            )
        ],
        months=24,
        paths=40,
        seed=1,
    )
    extra = cmp.scenarios[0].extra_cost
    assert extra.sel(financial_year=2020).item() == pytest.approx(12 * 5000)
    be = cmp.break_even()
    assert be["cumulative_scenario_cost_gbp"].tolist() == pytest.approx([60000, 120000])
    table = cmp.table()
    assert set(table["scenario"]) == {"baseline", "recruit"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"extra_approvals_per_year": -1}, "extra_approvals_per_year must be >= 0"),
        ({"entry_multiplier": float("nan")}, "entry_multiplier"),
        ({"from_month": 0}, "from_month must be >= 1"),
    ],
)
def test_bad_levers_are_refused(kwargs, message):
    with pytest.raises(pc.ConfigError, match=message):
        pc.Scenario("bad", **kwargs)


def test_levers_outside_the_horizon_and_duplicate_names(hackney):
    with pytest.raises(pc.ConfigError, match="after the forecast horizon"):
        pc.forecast(hackney, months=12, paths=2, scenario=pc.Scenario("late", from_month=13))
    with pytest.raises(pc.ConfigError, match="unique"):
        pc.compare(hackney, [pc.Scenario("a"), pc.Scenario("a")], months=12, paths=2)
