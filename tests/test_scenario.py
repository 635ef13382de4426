"""Scenarios: zero levers = baseline, monotonicity in carers, conservation, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import placecast as pc
from conftest import assert_conserved
from placecast.costs import placement_spend
from placecast.scenario import LEVERS


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
    assert sav.loc["2022/23", "mean"] > 0
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
    assert_conserved(ds)


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
    with pytest.raises(pc.ConfigError, match="outside the forecast horizon"):
        pc.forecast(hackney, months=12, paths=2, scenario=pc.Scenario("late", from_month=13))
    with pytest.raises(pc.ConfigError, match="unique"):
        pc.compare(hackney, [pc.Scenario("a"), pc.Scenario("a")], months=12, paths=2)


def _expected(hackney, scenario, months=36):
    return pc.expected(
        hackney.initial,
        hackney.rates,
        hackney.supply,
        months=months,
        drivers=scenario.drivers(hackney, months),
    )


def test_step_down_moves_children_out_of_residential(hackney):
    base = _expected(hackney, pc.Scenario("base"))
    step = _expected(hackney, pc.Scenario("step", residential_step_down_per_year=0.5, from_month=7))
    assert_conserved(step)
    res = lambda ds: ds["children"].sum("age_band").sel(placement="residential").isel(path=0)  # noqa: E731
    np.testing.assert_allclose(res(base).isel(month=slice(0, 7)), res(step).isel(month=slice(0, 7)))
    assert float(res(step).isel(month=-1)) < float(res(base).isel(month=-1)) - 3
    moves = step["moves"].sel(from_placement="residential", to_placement="in_house_fostering")
    assert float(moves.isel(month=slice(7, None)).sum()) > float(
        base["moves"]
        .sel(from_placement="residential", to_placement="in_house_fostering")
        .isel(month=slice(7, None))
        .sum()
    )


def test_foster_care_first_stops_new_semi_independent_placements(hackney):
    fc = pc.forecast(
        hackney,
        months=24,
        paths=40,
        seed=3,
        scenario=pc.Scenario("ff", foster_care_first=True, from_month=4),
    )
    ds = fc.data
    si = ds["children"].sum("age_band").sel(placement="semi_independent")
    after = slice(4, None)
    assert int(ds["entries"].sel(placement="semi_independent").isel(month=after).sum()) == 0
    assert int(ds["moves"].sel(to_placement="semi_independent").isel(month=after).sum()) == 0
    assert int(ds["entries"].sel(placement="semi_independent").isel(month=slice(1, 4)).sum()) > 0
    assert (si.diff("month").isel(month=slice(3, None)) <= 0).all()


def test_own_home_swaps_external_fees_for_running_costs(hackney):
    months = 24
    beds = pc.Scenario(
        "home", own_home_beds=4, own_home_weekly_cost_per_bed_gbp=2000, from_date="2020-04"
    )
    base = pc.forecast(hackney, months=months, paths=30, seed=5)
    home = pc.forecast(hackney, months=months, paths=30, seed=5, scenario=beds)
    assert home.data.equals(base.data)  # the home changes costs, not placements
    saved = (base.spend - home.spend).sel(placement="residential", financial_year=2020)
    # Residential stock stays above 4, so the home is full: 4 beds x 365 days of external fees
    # at 2020/21 prices (3,575 x 1.03 a week) saved, each path (the heavy-tail draw aside).
    full = 4 * 365 / 7 * 3575 * 1.03
    assert float(saved.mean()) == pytest.approx(full, rel=0.05)
    assert float(home.extra_cost.sel(financial_year=2020)) == pytest.approx(
        4 * 365 / 7 * 2000 * 1.03
    )


def test_demand_trend_and_shock_raise_entries(hackney):
    base = _expected(hackney, pc.Scenario("base"))
    trend = _expected(hackney, pc.Scenario("trend", entry_growth_per_year=0.1))
    shock = _expected(hackney, pc.Scenario("shock", entry_multiplier=1.2, from_month=13))
    e = lambda ds, m: float(ds["entries"].isel(path=0, month=m).sum())  # noqa: E731
    assert e(trend, 1) == pytest.approx(e(base, 1))
    assert e(trend, 25) == pytest.approx(e(base, 25) * 1.1**2)
    assert e(shock, 12) == pytest.approx(e(base, 12))
    assert e(shock, 13) == pytest.approx(e(base, 13) * 1.2)
    assert_conserved(trend)


def test_inflation_and_budget_overrides(hackney):
    s = pc.Scenario("prices", inflation_per_year={"ifa": 0.10}, budget_gbp={2021: 30e6})
    priced = s.priced_inputs(hackney)
    assert priced.costs.inflation("ifa") == 0.10
    assert priced.costs.inflation("residential") == hackney.costs.inflation("residential")
    assert priced.budget.placement_budget_gbp[2021] == 30e6
    assert priced.budget.placement_budget_gbp[2020] == hackney.budget.placement_budget_gbp[2020]
    fc = pc.forecast(hackney, months=24, paths=10, seed=1, scenario=s)
    assert fc.overspend_summary().loc["2021/22", "budget"] == 30e6
    with pytest.raises(pc.ConfigError, match="unknown placements"):
        pc.forecast(
            hackney, months=24, paths=2, scenario=pc.Scenario("x", inflation_per_year={"zoo": 0.1})
        )


def test_from_date_is_resolved_against_the_stock_date(hackney):
    assert pc.Scenario("a", from_date="2021-04").start_month(hackney, 60) == 13
    with pytest.raises(pc.ConfigError, match="outside the forecast horizon"):
        pc.Scenario("a", from_date="2019-04").start_month(hackney, 60)
    with pytest.raises(pc.ConfigError, match="not a month"):
        pc.Scenario("a", from_date="next spring").start_month(hackney, 60)
    with pytest.raises(pc.ConfigError, match="not both"):
        pc.Scenario("a", from_date="2021-04", from_month=3)


def test_load_scenarios_from_toml(tmp_path):
    example = pc.load_scenarios(Path(__file__).parents[1] / "examples" / "hackney_scenarios.toml")
    assert example.months == 60 and len(example.scenarios) == 7
    assert example.scenarios[6].rate_changes[0].age_band == "10_15"
    assert example.scenarios[4].own_home_beds == 4
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nname = "x"\nextra_carers = 3\n')
    with pytest.raises(
        pc.InputError, match=r"bad.toml \[\[scenario\]\] #1.*unknown lever.*extra_carers"
    ):
        pc.load_scenarios(bad)
    bad.write_text('[[scenario]]\nname = "x"\nextra_approvals_per_year = -3\n')
    with pytest.raises(pc.ConfigError, match="extra_approvals_per_year must be >= 0"):
        pc.load_scenarios(bad)
    bad.write_text("[run]\nmonths = 0\n[[scenario]]\nname='x'\n")
    with pytest.raises(pc.InputError, match="months"):
        pc.load_scenarios(bad)
    bad.write_text("[[scenario]\n")
    with pytest.raises(pc.InputError, match="not valid TOML"):
        pc.load_scenarios(bad)
    with pytest.raises(pc.InputError, match="not found"):
        pc.load_scenarios(tmp_path / "missing.toml")


@settings(max_examples=10, deadline=None)
@given(
    recruit=st.floats(0, 30),
    step_down=st.floats(0, 1),
    foster_first=st.booleans(),
    shock=st.floats(0.5, 1.5),
    growth=st.floats(-0.2, 0.3),
    start=st.integers(1, 12),
    seed=st.integers(0, 1000),
)
def test_children_are_conserved_under_any_levers(
    hackney, recruit, step_down, foster_first, shock, growth, start, seed
):
    scenario = pc.Scenario(
        "any",
        from_month=start,
        extra_approvals_per_year=recruit,
        residential_step_down_per_year=step_down,
        foster_care_first=foster_first,
        entry_multiplier=shock,
        entry_growth_per_year=growth,
    )
    ds = pc.forecast(hackney, months=14, paths=6, seed=seed, scenario=scenario).data
    assert_conserved(ds)
    in_house = ds["children"].sum("age_band").sel(placement="in_house_fostering")
    assert (
        in_house.isel(month=slice(1, None)) <= ds["in_house_places"].isel(month=slice(1, None))
    ).all()


@pytest.mark.parametrize(
    ("levers", "message"),
    [
        ({"extra_approvals_per_year": 1e12}, "extra_approvals_per_year must be at most 1,000"),
        ({"own_home_beds": 10**12}, "own_home_beds must be at most 1,000"),
        ({"entry_multiplier": 1e6}, "entry_multiplier must be at most 10"),
        ({"places_per_household": 1e12}, "places_per_household must be at most 10"),
        ({"budget_gbp": {2021: 1e13}}, "budget_gbp must be at most 1e"),
        ({"extra_approvals_per_year": True}, "extra_approvals_per_year must be a number"),
        ({"entry_multiplier": "1.1"}, "entry_multiplier must be a number"),
        ({"budget_gbp": {2021: True}}, r"budget_gbp\[2021\] must be >= 0"),
        ({"from_month": 2.5}, "from_month must be a whole number"),
        ({"from_month": True}, "from_month must be a whole number"),
    ],
)
def test_levers_beyond_their_bounds_or_of_the_wrong_type_are_refused(levers, message):
    """The audit's 1e12 households or approvals overflowed a cast and changed the cost by
    £3.6m; an entry multiplier of 1e6 took 21.8 GB. Each is refused, naming the lever."""
    with pytest.raises(pc.ConfigError, match=message):
        pc.Scenario("too much", **levers)


def test_every_bounded_lever_allows_its_bound():
    from placecast.scenario.levers import lever_bounds

    bounds = lever_bounds()
    assert {"extra_approvals_per_year", "entry_multiplier", "own_home_beds"} <= set(bounds)
    for lever, (most, why) in bounds.items():
        value = {2021: most} if lever == "budget_gbp" else most
        if lever == "own_home_beds":  # a home needs its running cost
            pc.Scenario("at the bound", own_home_beds=int(most), own_home_weekly_cost_per_bed_gbp=1)
            continue
        pc.Scenario("at the bound", **{lever: value})
        assert why


def test_scenario_semantics_a_user_can_read():
    """An own home needs its running cost; years before the levers start read "not started",
    not "certain not to save"; Python and the command line share one seed default."""
    import inspect

    from placecast.cli.simulate import RUN_DEFAULTS
    from placecast.report.text import comparison_text

    with pytest.raises(pc.ConfigError, match="own_home_beds=4 needs own_home_weekly_cost"):
        pc.Scenario("home", own_home_beds=4)
    later = pc.Scenario("recruit from 2024", extra_approvals_per_year=10, from_date="2024-06")
    cmp = pc.compare(pc.hackney_2022(), [later], months=48, paths=30, seed=2)
    sav = cmp.savings_summary()
    levers = sav["levers"].droplevel("scenario")
    assert levers.loc["2022/23"] == "not started" and levers.loc["2023/24"] == "not started"
    assert levers.loc["2024/25"] == "on" and levers.loc["2025/26"] == "on"
    assert (sav.loc[levers.to_numpy() == "not started", "mean"] == 0).all()
    assert "not started" in comparison_text(cmp)
    seeds = {inspect.signature(f).parameters["seed"].default for f in (pc.forecast, pc.compare)}
    assert seeds == {RUN_DEFAULTS["seed"]} == {1}


def test_a_change_that_begins_in_a_later_year_reads_no_effect_yet_until_then():
    """A scenario whose only change is a cost type from 2024/25 has levers on from its first
    month but costs the same as the baseline until 2024/25: those years read "no effect yet",
    not "on" with a 0% chance of saving."""
    from placecast.report.text import comparison_text

    registered = pc.CostSubtype(
        "registered", "semi_independent", share={2024: 0.5}, weekly_cost_gbp=2500
    )
    later = pc.Scenario("registered from 2024/25", cost_subtypes=(registered,))
    cmp = pc.compare(pc.hackney_2022(), [later], months=48, paths=30, seed=2)
    sav = cmp.savings_summary()
    levers = sav["levers"].droplevel("scenario")
    assert list(levers.loc[["2022/23", "2023/24"]]) == ["no effect yet", "no effect yet"]
    assert list(levers.loc[["2024/25", "2025/26"]]) == ["on", "on"]
    assert (sav.loc[levers.to_numpy() == "no effect yet", "mean"] == 0).all()
    assert (sav.loc[levers.to_numpy() == "on", "mean"] != 0).all()
    summary = cmp.summary().loc["registered from 2024/25"]
    assert summary.loc["2023/24", "P(saves money)"] == "no effect yet"
    assert "no effect yet" in comparison_text(cmp)


def test_a_step_down_programme_costs_per_child_it_moves():
    """Known answer on common random numbers: the same step-down with and without its cost
    simulates the same children, and the cost is, path by path, the cost per child times the
    monthly chance of stepping down times each month's children in residential care (inflated
    like residential); the saving falls by exactly that."""
    inputs = pc.hackney_2022()
    rate, cost = 0.5, 2_000.0
    free = pc.Scenario("step down", residential_step_down_per_year=rate)
    paid = pc.Scenario(
        "step down, paid", residential_step_down_per_year=rate, step_down_cost_per_child_gbp=cost
    )
    cmp = pc.compare(inputs, [free, paid], months=24, paths=40, seed=3)
    _, a, b = cmp.forecasts
    np.testing.assert_array_equal(a.data["children"].values, b.data["children"].values)
    resid = b.children_by_placement().sel(placement="residential").isel(month=slice(0, -1))
    fy = b.data["financial_year"].values[1:]
    inflation = (1 + inputs.costs.inflation("residential")) ** (
        fy - inputs.costs.price_base_financial_year
    )
    monthly = resid.values * cost * -np.expm1(-rate / 12) * inflation[None, :]
    got = _assert_extra_cost(a, b, monthly)
    saved = cmp.savings()
    np.testing.assert_allclose(
        (saved.sel(scenario="step down") - saved.sel(scenario="step down, paid")).values, got
    )
    assert b.extra_cost.dims == ("path", "financial_year")
    assert "step_down_cost_per_child_gbp" in LEVERS  # settable in TOML files too


def test_foster_care_first_costs_a_weekly_amount_per_older_child_in_house():
    """Known answer: the programme's cost is, path by path, the weekly amount times the weeks of
    each month times that path's 16-17-year-olds in in-house fostering at the month's start,
    inflated like in-house fostering; the placements simulated are the same as without it."""
    inputs = pc.hackney_2022()
    weekly = 150.0
    free = pc.Scenario("first", foster_care_first=True)
    paid = pc.Scenario(
        "first, paid", foster_care_first=True, foster_care_first_weekly_cost_per_child_gbp=weekly
    )
    cmp = pc.compare(inputs, [free, paid], months=24, paths=30, seed=5)
    _, a, b = cmp.forecasts
    np.testing.assert_array_equal(a.data["children"].values, b.data["children"].values)
    older = b.data["children"].sel(placement="in_house_fostering", age_band="16_17")
    older = older.isel(month=slice(0, -1)).transpose("path", "month").values
    dates = pd.DatetimeIndex(b.data["date"].values[1:])
    fy = b.data["financial_year"].values[1:]
    inflation = (1 + inputs.costs.inflation("in_house_fostering")) ** (
        fy - inputs.costs.price_base_financial_year
    )
    monthly = older * weekly * (dates.days_in_month.to_numpy() / 7.0) * inflation
    _assert_extra_cost(a, b, monthly)


def _assert_extra_cost(free: pc.Forecast, paid: pc.Forecast, monthly: np.ndarray) -> np.ndarray:
    """The paid scenario's total cost exceeds the free one's, path by path and financial year,
    by ``monthly`` (path, month) summed by financial year, and is positive; returns the
    difference (path, financial_year)."""
    fy = paid.data["financial_year"].values[1:]
    want = pd.DataFrame(monthly).T.groupby(fy).sum().T.to_numpy()
    got = (paid.total_cost - free.total_cost).transpose("path", "financial_year").values
    np.testing.assert_allclose(got, want[:, : got.shape[1]], rtol=1e-9)
    assert (got > 0).all()
    return got


def test_sufficiency_sets_places_needed_against_in_house_supply(hackney):
    """Known answers from the paths themselves: needs are the children at each 31 March by
    placement and band (all ages their sum); supply is the usable in-house places; each gap is
    worked out path by path. Recruitment (common random numbers) never lowers the supply."""
    base = pc.forecast(hackney, months=36, paths=60, seed=4)
    table = base.sufficiency()
    dates = table.index.get_level_values("date").unique()
    assert [d.month for d in dates] == [3, 3, 3] and dates[0].year == 2021
    at = base.data.swap_dims(month="date").sel(date=dates[-1])
    residential = table.loc[(dates[-1], "Residential (children's homes, secure)")]
    by_band = at["children"].sel(placement="residential")
    np.testing.assert_allclose(
        residential.loc["10_15", "mean"], by_band.sel(age_band="10_15").mean()
    )
    np.testing.assert_allclose(residential.loc["all ages", "mean"], by_band.sum("age_band").mean())
    places = at["in_house_places"]
    in_house = at["children"].sel(placement="in_house_fostering").sum("age_band")
    ifa = at["children"].sel(placement="ifa").sum("age_band")
    rows = table.xs("all ages", level="age_band").loc[dates[-1]]
    assert rows.loc["Usable in-house fostering places", "kind"] == "supply"
    np.testing.assert_allclose(rows.loc["Usable in-house fostering places", "mean"], places.mean())
    gap = (
        "In-house fostering places less children in in-house fostering or independent "
        "fostering agency"
    )
    np.testing.assert_allclose(rows.loc[gap, "p05"], (places - in_house - ifa).quantile(0.05))
    np.testing.assert_allclose(
        rows.loc["Unused in-house fostering places", "median"], (places - in_house).median()
    )
    more = pc.forecast(
        hackney, months=36, paths=60, seed=4, scenario=pc.Scenario("r", extra_approvals_per_year=10)
    ).sufficiency()
    supply = lambda t: t.xs("Usable in-house fostering places", level="item")["mean"]  # noqa: E731
    assert (supply(more) >= supply(table)).all() and supply(more).iloc[-1] > supply(table).iloc[-1]


def test_compare_carries_scenarios_on_from_the_baseline_where_their_levers_start(
    hackney, monkeypatch
):
    """A scenario's run is the baseline's until its levers start (keyed uniforms), so compare
    runs only its later months: the same numbers as running it whole, month for month, and no
    engine month run twice. Levers that change the rates count from their first month too."""
    import placecast.engine.run as run

    scenarios = [
        pc.Scenario("recruit later", extra_approvals_per_year=12, from_month=13),
        pc.Scenario("step down later", residential_step_down_per_year=0.5, from_month=7),
        pc.Scenario("recruit now", extra_approvals_per_year=12),
    ]
    options = {"months": 36, "paths": 60, "seed": 4, "batch_paths": 25}
    whole = [pc.forecast(hackney, scenario=s, **options) for s in scenarios]
    steps = []
    real_step = run.step_sampled

    def counted(n, into, places, batch, month, *args, **kwargs):
        steps.append(month)
        return real_step(n, into, places, batch, month, *args, **kwargs)

    monkeypatch.setattr(run, "step_sampled", counted)
    cmp = pc.compare(hackney, scenarios, **options)
    for got, want in zip(cmp.scenarios, whole, strict=True):
        xr.testing.assert_equal(got.data, want.data)  # attrs: each run's own time
        xr.testing.assert_identical(got.spend, want.spend)
    batches = 3  # 60 paths in batches of 25
    assert len(steps) == batches * (36 + (36 - 12) + (36 - 6) + 36)
    assert not cmp.baseline.branches  # not kept past the comparison


def test_a_run_refuses_a_branch_it_does_not_share(hackney):
    """simulate carries on from another run's branch only if it shares the seed, paths, stock,
    rates, and drivers and carer supply up to the branch's month, and says which it does not."""
    from placecast.engine import Drivers, simulate_with_branches

    common = {"months": 24, "paths": 30, "start": hackney.start}
    args = (hackney.initial, hackney.rates, hackney.supply)
    whole, kept = simulate_with_branches(*args, [6, 12], seed=1, **common)
    assert sorted(kept) == [6, 12]
    # Carrying on from either branch gives the whole run's numbers.
    for month in (6, 12):
        again = pc.simulate(*args, seed=1, branch=kept[month], **common)
        xr.testing.assert_identical(again, whole)
    later = Drivers.constant(hackney.supply, 24)
    later = Drivers(
        entry_multiplier=np.where(np.arange(1, 25) >= 10, 1.2, 1.0),
        approvals_per_year=later.approvals_per_year,
        deregistration_rate_per_year=later.deregistration_rate_per_year,
        places_per_household=later.places_per_household,
    )
    assert later.shared_months(Drivers.constant(hackney.supply, 24)) == 9
    pc.simulate(*args, seed=1, branch=kept[6], drivers=later, **common)  # differs after 6: fine
    refusals = [
        ({"seed": 2}, "another seed"),
        ({"seed": 1, "drivers": later, "branch": kept[12]}, "drivers that differ from month 10"),
    ]
    for options, message in refusals:
        options = {"branch": kept[6], **options}
        with pytest.raises(pc.ConfigError, match=message):
            pc.simulate(*args, **common | options)
    with pytest.raises(pc.ConfigError, match="60 paths, not 30"):
        pc.simulate(*args, seed=1, branch=kept[6], **common | {"paths": 60})
    with pytest.raises(pc.ConfigError, match="keep months 1 to 23"):
        simulate_with_branches(*args, [24], seed=1, **common)
