"""Cost sub-types and the high-cost tier: known answers, the mean kept, the spread the count
adds, the split by type, saving and loading, and a named error for each bad setting."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import numpy as np
import pandas as pd
import pytest

import placecast as pc
from conftest import COSTS, SHARED, make_rates, no_capacity_limit, stock
from placecast.costs import placement_spend, spend_by_cost_type
from placecast.data.cost_types import (
    NATIONAL_CHILDRENS_HOMES,
    NATIONAL_RESIDENTIAL_BY_PROVIDER,
    lga_high_cost_tail,
    published_weekly_costs,
    residential_own_provision_share,
)
from placecast.errors import ConfigError, InputError
from placecast.inputs import inputs_schema


def _steady(space, n=20, placement="residential", paths=1):
    ds = pc.simulate(
        stock(space, (placement, 24, n)),  # aged 2: nobody turns 18 in the horizon
        make_rates(space),
        no_capacity_limit(),
        months=24,
        paths=1,
        seed=0,
        start="2020-03",
    )
    return ds.isel(path=np.zeros(paths, dtype=int)).assign_coords(path=np.arange(paths))


def test_average_cost_is_the_share_weighted_mean_of_the_types(space):
    costs = pc.UnitCosts(
        COSTS,
        price_base_financial_year=2020,
        inflation_per_year=0.1,
        subtypes=(
            pc.CostSubtype("secure", "residential", share=0.1, weekly_cost_gbp=3000),
            pc.CostSubtype("uasc", "residential", share=0.2, uplift=0.5),
            pc.CostSubtype("registered", "semi_independent", share={2021: 0.5}, uplift=1.0),
        ),
    )
    weekly = costs.weekly_cost(space, [2020, 2021, 2022])
    # 2020: 70% at 1,000, 10% at 3,000, 20% at 1,500; inflated 10% a year after.
    assert weekly.sel(placement="residential").values == pytest.approx([1300.0, 1430.0, 1573.0])
    # A share by year: 0 before its first year, then held.
    assert weekly.sel(placement="semi_independent").values == pytest.approx(
        [500.0, 550 * 1.5, 605 * 1.5]
    )
    assert weekly.sel(placement="ifa").values == pytest.approx([200.0, 220.0, 242.0])


def test_spend_uses_the_average_and_splits_by_type(space):
    ds = _steady(space)
    subtypes = (pc.CostSubtype("secure", "residential", share=0.25, weekly_cost_gbp=3000),)
    costs = pc.UnitCosts(COSTS, price_base_financial_year=2020, subtypes=subtypes)
    spend = placement_spend(ds, costs, space)
    # 20 children all year (365 days) at 0.75 x 1,000 + 0.25 x 3,000 = 1,500 a week.
    assert float(spend.sel(financial_year=2020, placement="residential")[0]) == pytest.approx(
        20 * 1500 * 365 / 7
    )
    split = spend_by_cost_type(spend, costs, space).sel(placement="residential")
    assert float(split.sel(cost_type="secure", financial_year=2020)[0]) == pytest.approx(
        20 * 750 * 365 / 7
    )
    np.testing.assert_allclose(split.sum("cost_type"), spend.sel(placement="residential"))
    # A category without sub-types is all "standard".
    ifa = spend_by_cost_type(spend, costs, space).sel(placement="ifa")
    np.testing.assert_allclose(ifa.sel(cost_type="standard"), spend.sel(placement="ifa"))


def test_high_cost_tier_keeps_the_mean_and_its_count_drives_the_spread(space):
    paths = 4000
    ds = _steady(space, n=40, paths=paths)
    tail = pc.CostTail(share=0.05, mean_weekly_cost_gbp=8000.0)
    flat = placement_spend(ds, pc.UnitCosts(COSTS), space)
    drawn = placement_spend(ds, pc.UnitCosts(COSTS, tails={"residential": tail}), space, seed=3)
    f = float(flat.sel(placement="residential", financial_year=2020)[0])
    d = drawn.sel(placement="residential", financial_year=2020)
    assert float(d.mean()) == pytest.approx(f, rel=0.01)
    # Known answer: 40 child-years, the tier's count binomial(40, 0.05); a tier child costs
    # 8,000 a week, the others (1,000 - 0.05 x 8,000) / 0.95 = 631.6, so the spend's sd is
    # sqrt(40 x 0.05 x 0.95) x (8,000 - 631.6) x 365 / 7.
    weeks = 365 / 7
    rest = (1000 - 0.05 * 8000) / 0.95
    expected_sd = np.sqrt(40 * 0.05 * 0.95) * (8000 - rest) * weeks
    assert float(d.std()) == pytest.approx(expected_sd, rel=0.05)
    # Spend comes in steps of one tier child: 0, 1, 2, ... of them.
    counts = (d.values - 40 * rest * weeks) / ((8000 - rest) * weeks)
    np.testing.assert_allclose(counts, np.rint(counts), atol=1e-6)
    assert set(np.rint(counts).astype(int)) >= {0, 1, 2, 3, 4}


def test_tier_draws_are_common_to_runs_on_one_seed(space):
    ds = _steady(space, n=30, paths=200)
    costs = pc.UnitCosts(
        COSTS,
        cost_cv={"residential": 0.4},
        tails={"residential": pc.CostTail(0.04, 9000.0, cv=0.3)},
    )
    a = placement_spend(ds, costs, space, seed=7)
    b = placement_spend(ds, costs, space, seed=7)
    np.testing.assert_array_equal(a.values, b.values)
    # More children in residential on the same seed: no path's tier count falls.
    more = _steady(space, n=60, paths=200)
    c = placement_spend(more, costs, space, seed=7)
    assert (c.sel(placement="residential") >= a.sel(placement="residential")).mean() > 0.95


def test_a_councils_high_cost_list_sets_the_tier():
    tier = pc.CostTail.from_high_cost_list(
        [4200, 3900, 12_000, 16_000, 5100], children=25, source="finance system, March 2022"
    )
    assert tier.share == pytest.approx(2 / 25)
    assert tier.mean_weekly_cost_gbp == pytest.approx(14_000)
    assert tier.cv == pytest.approx(np.std([12_000, 16_000], ddof=1) / 14_000)
    assert tier.source == "finance system, March 2022"
    with pytest.raises(ConfigError, match="no placement costs £10,000 a week or more"):
        pc.CostTail.from_high_cost_list([4000, 5000], children=10)
    with pytest.raises(ConfigError, match="give the number of children in the category"):
        pc.CostTail.from_high_cost_list([12_000, 13_000], children=2)
    with pytest.raises(ConfigError, match="numbers >= 0"):
        pc.CostTail.from_high_cost_list(["£12,000"], children=10)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: pc.CostSubtype("secure", "residential", share=1.2, weekly_cost_gbp=1),
            "share 1.2 must be a number from 0 to 1",
        ),
        (
            lambda: pc.CostSubtype("secure", "residential", share=0.1),
            "give either weekly_cost_gbp .* or uplift",
        ),
        (
            lambda: pc.CostSubtype("secure", "residential", 0.1, weekly_cost_gbp=1, uplift=0.1),
            "not both or neither",
        ),
        (
            lambda: pc.CostSubtype("secure", "residential", 0.1, weekly_cost_gbp="£6,000"),
            "without a £ sign or commas",
        ),
        (lambda: pc.CostSubtype("secure", "residential", 0.1, uplift=-1.0), "above -1"),
        (
            lambda: pc.CostSubtype("Secure units", "residential", 0.1, uplift=0.1),
            "snake_case",
        ),
        (lambda: pc.CostSubtype("standard", "residential", 0.1, uplift=0.1), "choose another"),
        (
            lambda: pc.CostSubtype("k3", "semi_independent", {"2024/25": 0.3}, uplift=0.1),
            "whole financial years",
        ),
        (lambda: pc.CostTail(share=0.0, mean_weekly_cost_gbp=9000), "above 0 and below 1"),
        (lambda: pc.CostTail(share=0.1, mean_weekly_cost_gbp=-1), "above 0"),
        (lambda: pc.CostTail(share=0.1, mean_weekly_cost_gbp=9000, cv=-0.1), "cv must be"),
    ],
)
def test_bad_cost_types_are_named(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_cost_types_that_do_not_fit_their_category_are_named(space):
    def weekly(**changes):
        return pc.UnitCosts(COSTS, price_base_financial_year=2020, **changes).weekly_cost(
            space, [2020, 2025]
        )

    with pytest.raises(ConfigError, match=r"shares add up to 110% in 2024/25"):
        weekly(
            subtypes=(
                pc.CostSubtype("a", "semi_independent", 0.6, uplift=0.1),
                pc.CostSubtype("b", "semi_independent", {2024: 0.5}, uplift=0.1),
            )
        )
    with pytest.raises(ConfigError, match="unknown placement 'childrens_homes'"):
        weekly(subtypes=(pc.CostSubtype("a", "childrens_homes", 0.1, uplift=0.1),))
    with pytest.raises(ConfigError, match="given twice for residential"):
        weekly(subtypes=(pc.CostSubtype("a", "residential", 0.1, uplift=0.1),) * 2)
    with pytest.raises(ConfigError, match="UnitCosts.tails: unknown placement 'homes'"):
        weekly(tails={"homes": pc.CostTail(0.1, 9000.0)})
    # The tier is part of the average: 20% at 9,000 a week is more than a 1,000 average.
    with pytest.raises(ConfigError, match=r"raise weekly_cost_gbp\['residential'\]"):
        pc.UnitCosts(COSTS, tails={"residential": pc.CostTail(0.2, 9000.0)}).tail_weekly_costs(
            space, [2020]
        )


def test_cost_types_are_saved_loaded_and_edits_recognised(tmp_path):
    council = pc.hackney_2020()
    costs = replace(
        council.costs,
        subtypes=(
            pc.CostSubtype("secure", "residential", share=0.05, weekly_cost_gbp=4025),
            pc.CostSubtype("registered", "semi_independent", share={2024: 0.4}, uplift=0.25),
        ),
        tails={"residential": pc.CostTail(0.03, 12_000.0, cv=0.3, source="LGA")},
    )
    pc.save_inputs(replace(council, costs=costs), tmp_path)
    meta = json.loads((tmp_path / "inputs.json").read_text())
    jsonschema.validate(meta, inputs_schema())
    back = pc.load_inputs(tmp_path)
    assert back.costs.subtypes == costs.subtypes
    assert back.costs.tails == costs.tails
    assert back.status["unit_costs"] != "edited"
    # Inputs without cost types are written as before (no empty keys).
    pc.save_inputs(council, tmp_path / "plain")
    plain = json.loads((tmp_path / "plain" / "inputs.json").read_text())
    assert "subtypes" not in plain["costs"] and "tails" not in plain["costs"]
    # An edit is recognised; a bad one is refused naming the file.
    meta["costs"]["subtypes"][0]["share"] = 0.1
    (tmp_path / "inputs.json").write_text(json.dumps(meta))
    assert pc.load_inputs(tmp_path).status["unit_costs"] == "edited"
    meta["costs"]["subtypes"][0]["share"] = "10%"
    (tmp_path / "inputs.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"inputs.json.*cost sub-type 'secure': share '10%'"):
        pc.load_inputs(tmp_path)


def test_forecast_reports_spend_by_cost_type():
    council = pc.hackney_2020()
    costs = replace(
        council.costs,
        subtypes=(pc.CostSubtype("secure", "residential", share=0.1, weekly_cost_gbp=6000),),
    )
    fc = pc.forecast(replace(council, costs=costs), months=24, paths=20, seed=1)
    table = fc.spend_by_cost_type()
    residential = table.xs("residential", level="placement")
    assert sorted(residential.index.get_level_values("cost_type").unique()) == [
        "secure",
        "standard",
    ]
    assert "secure" not in table.xs("ifa", level="placement").index.get_level_values("cost_type")
    by_placement = fc.spend_summary().xs("residential", level="placement")["mean"]
    summed = residential["mean"].groupby(level="financial_year").sum()
    np.testing.assert_allclose(summed, by_placement.loc[summed.index], rtol=1e-9)


def test_published_figures_match_dfes_files():
    assert residential_own_provision_share(2022) == pytest.approx(1380 / 13060)
    folder = SHARED / "data" / "dfe_cla_ees_2018_2022"
    providers = pd.read_csv(
        folder / "national_cla_on_31_march_by_placement_provider_placement_type_and_locality"
        "_2019_2022.csv",
        encoding="utf-8-sig",
    )
    providers["number"] = pd.to_numeric(providers["number"], errors="coerce").fillna(0)
    homes = providers["placement_type"].str.contains("Secure units, children's homes")
    for year, (own, total) in NATIONAL_RESIDENTIAL_BY_PROVIDER.items():
        rows = providers[homes & (providers["time_period"] == year)]
        assert rows.loc[rows["placement_provider"] == "All children", "number"].sum() == total
        assert rows.loc[rows["placement_provider"].str.startswith("Own"), "number"].sum() == own
    chars = pd.read_csv(
        folder / "la_cla_on_31_march_by_characteristics_2021_2022_processed.csv",
        encoding="utf-8-sig",
        low_memory=False,
    )
    england = chars[
        (chars["geographic_level"] == "National")
        & (chars["characteristic"] == "Secure homes and children's homes")
    ]
    for year, count in NATIONAL_CHILDRENS_HOMES.items():
        assert int(england.loc[england["time_period"] == year, "cla_31_march_number"].iloc[0]) == (
            count
        )
    assert lga_high_cost_tail("2022/23").share == pytest.approx(1510 / 7610)
    with pytest.raises(ConfigError, match="2018/19, 2022/23"):
        lga_high_cost_tail("2020/21")
    figures = published_weekly_costs()
    assert figures["source"].str.len().min() > 20


def test_a_scenario_changes_cost_types_on_common_random_numbers(tmp_path):
    toml = tmp_path / "scenarios.toml"
    toml.write_text(
        "[[scenario]]\n"
        'name = "own homes"\n'
        "[[scenario.cost_subtypes]]\n"
        'name = "in_house"\nplacement = "residential"\n'
        "share = { 2023 = 0.3 }\nuplift = -0.2\n"
        "[[scenario]]\n"
        'name = "dearer own homes"\n'
        "[[scenario.cost_subtypes]]\n"
        'name = "in_house"\nplacement = "residential"\n'
        "share = { 2023 = 0.3 }\nuplift = 0.2\n"
    )
    scenarios = pc.load_scenarios(toml).scenarios
    cmp = pc.compare(pc.hackney_2022(), scenarios, months=36, paths=100, seed=2)
    savings = cmp.savings()
    cheaper = savings.sel(scenario="own homes")
    dearer = savings.sel(scenario="dearer own homes")
    # Prices only: the same children, so no saving before 2023/24 and exactly the fee
    # difference after; a cheaper sub-type saves on every path, a dearer one costs.
    assert float(abs(cheaper.sel(financial_year=2022)).max()) == 0.0
    assert bool((cheaper.sel(financial_year=2023) > 0).all())
    assert bool((dearer.sel(financial_year=2023) < 0).all())
    np.testing.assert_allclose(cheaper, -dearer, rtol=1e-9)
    baseline = cmp.baseline.spend.sel(placement="residential", financial_year=2023)
    np.testing.assert_allclose(cheaper.sel(financial_year=2023), baseline * 0.3 * 0.2, rtol=1e-9)
    with pytest.raises(ConfigError, match=r"Scenario 'x': cost_subtypes\[0\]: .*share 2"):
        pc.Scenario("x", cost_subtypes=[{"name": "a", "placement": "residential", "share": 2}])
