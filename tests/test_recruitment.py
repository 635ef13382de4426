"""How many carers to recruit: known answers on a hand-made curve, and the engine's curve."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import placecast as pc
from placecast.scenario.recruitment import RecruitmentCurve, recruitment_curve

YEARS = [2022, 2023, 2024]


def hand_made(spread: float = 0.0) -> RecruitmentCurve:
    """Placement cost A - s n + q n^2 a year (plus, with ``spread``, path noise shared by every
    candidate, as common random numbers give), h n households recruited a year."""
    approvals = np.arange(0.0, 21.0)
    a, s, q, h = 10e6, 60_000.0, 1_500.0, 1.0
    noise = np.linspace(-spread, spread, 9)  # the same paths at every candidate
    yearly = a - s * approvals + q * approvals**2
    cost = yearly[:, None, None] + noise[None, :, None] + np.zeros((1, 1, len(YEARS)))
    placement = xr.DataArray(
        cost,
        dims=("approvals_per_year", "path", "financial_year"),
        coords={"approvals_per_year": approvals, "financial_year": YEARS},
    )
    households = xr.DataArray(
        h * approvals[:, None] * np.ones((1, len(YEARS))),
        dims=("approvals_per_year", "financial_year"),
        coords={"approvals_per_year": approvals, "financial_year": YEARS},
    )
    budget = xr.DataArray(
        [9.7e6] * len(YEARS), dims="financial_year", coords={"financial_year": YEARS}
    )
    return RecruitmentCurve(placement, households, budget, cost_per_household_gbp=12_000.0)


def test_known_answers_on_a_curve_computable_by_hand():
    """Total cost a year A - s n + q n^2 + c h n is least at n = (s - c h) / 2q = 16; the
    break-even cost of n is (s - q n) / h; the least n within budget is the smaller root."""
    curve = hand_made()
    assert curve.best() == 16.0
    assert curve.best("cvar", 0.9) == 16.0  # no noise: the worst paths are the mean
    even = curve.break_even()
    assert even[10.0] == pytest.approx(60_000 - 1_500 * 10)
    assert even[20.0] == pytest.approx(60_000 - 1_500 * 20)
    # 10e6 - 48,000 n + 1,500 n^2 <= 9.7e6 between the roots 16 -+ sqrt(56): from n = 9
    assert curve.least_meeting_budget(2023, 1.0) == 9.0
    table = curve.table().set_index("approvals_per_year")
    assert table.loc[0.0, "saving_mean_gbp"] == 0
    n = 16.0
    want = 3 * (60_000 * n - 1_500 * n**2 - 12_000 * n)
    assert table.loc[n, "saving_mean_gbp"] == pytest.approx(want)
    # The cost per household is linear: any other one reuses the same forecasts.
    free = curve.saving(0.0).sum("financial_year").mean("path").sel(approvals_per_year=n)
    assert float(free) == pytest.approx(3 * (60_000 * n - 1_500 * n**2))


def test_risk_and_probability_follow_the_paths():
    """With path noise shared by the candidates the expected optimum stays; the CVaR of the
    total cost is its mean plus the worst paths' noise; a probability of 1 needs every path
    within budget."""
    curve = hand_made(spread=400_000.0)
    assert curve.best() == 16.0 and curve.best("cvar", 0.8) == 16.0
    table = curve.table().set_index("approvals_per_year")
    assert table.loc[16.0, "total_cost_cvar90_gbp"] > table.loc[16.0, "total_cost_mean_gbp"]
    assert curve.least_meeting_budget(2023, 1.0) is None  # the worst path never fits
    # At 9 the total is 10,500 under budget: the 5 of 9 paths with noise <= 0 fit (56%); at 8
    # it is 12,000 over: 4 of 9 (44%)
    assert curve.least_meeting_budget(2023, 0.5) == 9.0
    with pytest.raises(pc.ConfigError, match="2030/31 is not in the forecast"):
        curve.least_meeting_budget(2030, 0.5)
    with pytest.raises(pc.ConfigError, match="objective"):
        curve.best("median")
    with pytest.raises(pc.ConfigError, match="cost per household must be a number >= 0"):
        curve.saving(-1.0)
    with pytest.raises(pc.ConfigError, match="probability must be in"):
        curve.least_meeting_budget(2023, 0.0)


def test_more_recruitment_means_less_placement_cost_on_the_engine():
    """On common random numbers: more in-house carers never raise the mean placement cost,
    the break-even cost per household falls as recruitment grows (each household is worth
    less once the agency placements it replaces run out), and candidate 0 saves nothing."""
    curve = recruitment_curve(pc.hackney_2022(), [10, 20], months=36, paths=200, seed=4)
    placement = curve.placement_cost.sum("financial_year").mean("path").values
    assert placement[0] >= placement[1] >= placement[2]
    even = curve.break_even()
    assert even[10.0] > even[20.0] > 0
    table = curve.table()
    assert list(table["approvals_per_year"]) == [0.0, 10.0, 20.0]
    households = curve.households_recruited.sum("financial_year").values
    np.testing.assert_allclose(households, [0, 30, 60], rtol=1e-9)  # 36 months of approvals
    assert np.isnan(table["probability_of_saving"].iloc[0])  # no extra: nothing to save


def test_recruit_command_prints_the_curve_and_writes_it(tmp_path, capsys):
    from placecast.cli import main

    out = tmp_path / "rec"
    args = ["recruit", "--approvals", "5", "--approvals", "10", "--paths", "20"]
    assert main([*args, "--months", "24", "--budget-year", "2023", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Lowest expected total cost:" in printed and "break-even" in printed
    assert "Least recruitment meeting the 2023/24 budget with probability 80%" in printed
    table = pd.read_csv(out / "recruitment_curve.csv")
    assert list(table["approvals_per_year"]) == [0.0, 5.0, 10.0]
    assert (out / "recruitment_curve.png").stat().st_size > 10_000
    # The report section: the workbook's curve as numbers with formats, the HTML with the answers.
    import openpyxl

    book = openpyxl.load_workbook(out / "recruitment.xlsx")
    assert book.sheetnames == ["about", "recruitment_curve"]
    sheet = book["recruitment_curve"]
    header = [c.value for c in sheet[1]]
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [0.0, 5.0, 10.0]
    cost = sheet.cell(2, header.index("total_cost_mean_gbp") + 1)
    assert isinstance(cost.value, float) and cost.number_format.startswith("£#,##0")
    about = dict(book["about"].iter_rows(min_row=2, values_only=True))
    assert about["least recruitment meeting the 2023/24 budget with P >= 80%"] in printed
    page = (out / "recruitment.html").read_text()
    assert "data:image/png;base64," in page and "break-even cost a household" in page
    assert "src='http" not in page and "lowest CVaR" in page
    # A year outside the forecast: one line naming the years there are, exit 2, no traceback.
    assert main([*args, "--months", "24", "--budget-year", "2030", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "2030/31 is not in the forecast (2022/23, 2023/24)" in err and "Traceback" not in err


def hand_made_with_retention(retention_cost: float) -> RecruitmentCurve:
    """The hand-made curve tried at two deregistration rates: the council's own (0.10) and
    0.05, at which placement costs R = 200,000 a year less; 100 households held a year."""
    base = hand_made()
    rates = pd.Index([0.05, 0.10], name="deregistration_rate_per_year")
    cut = xr.DataArray(
        [200_000.0, 0.0],
        dims="deregistration_rate_per_year",
        coords={"deregistration_rate_per_year": rates},
    )
    placement = (base.placement_cost - cut).transpose("approvals_per_year", ...)
    households = base.households_recruited.expand_dims(deregistration_rate_per_year=rates)
    held = xr.full_like(placement, 100.0)
    return RecruitmentCurve(
        placement,
        households.transpose("approvals_per_year", ...),
        base.budget,
        cost_per_household_gbp=12_000.0,
        household_years=held,
        retention_cost_per_household_year_gbp=retention_cost,
        own_deregistration_rate=0.10,
    )


def test_retention_is_worth_its_cost_only_when_it_saves_more():
    """A retention offer at 1,000 a household-year (100,000 a year) buying 200,000 a year of
    placements is taken; at 3,000 (300,000 a year) it is not. Recruitment's optimum (16) and
    its break-even (at the council's own rate) are unchanged by the retention grid."""
    cheap = hand_made_with_retention(1_000.0)
    assert cheap.best_option() == {"approvals_per_year": 16.0, "deregistration_rate_per_year": 0.05}
    assert cheap.best() == 16.0
    dear = hand_made_with_retention(3_000.0)
    assert dear.best_option() == {"approvals_per_year": 16.0, "deregistration_rate_per_year": 0.10}
    table = cheap.table().set_index(["approvals_per_year", "deregistration_rate_per_year"])
    n = 16.0
    want = 3 * (60_000 * n - 1_500 * n**2 - 12_000 * n + 200_000 - 100_000)
    assert table.loc[(n, 0.05), "saving_mean_gbp"] == pytest.approx(want)
    assert table.loc[(0.0, 0.10), "saving_mean_gbp"] == 0  # the baseline
    assert np.isnan(table.loc[(0.0, 0.10), "probability_of_saving"])
    assert table.loc[(0.0, 0.05), "probability_of_saving"] == 1.0  # retention alone saves
    assert cheap.break_even()[10.0] == pytest.approx(60_000 - 1_500 * 10)
    assert np.isnan(table.loc[(10.0, 0.05), "break_even_cost_per_household_gbp"])
    # The budget goal-seek takes any rate: retention alone meets 9.7e6 - 100,000 at fewer.
    assert cheap.least_meeting_budget(2023, 1.0) < hand_made().least_meeting_budget(2023, 1.0)


def test_a_retention_grid_on_the_engine():
    """Fewer carers leaving keeps more households and never raises the mean placement cost (on
    common random numbers); the council's own rate is always tried; bad rates are refused."""
    hackney = pc.hackney_2022()
    own = hackney.supply.deregistration_rate_per_year
    curve = recruitment_curve(
        hackney,
        [10],
        deregistration_rates=[own / 2],
        retention_cost_per_household_year_gbp=500.0,
        months=24,
        paths=60,
        seed=2,
    )
    rates = list(curve.placement_cost["deregistration_rate_per_year"].values)
    assert rates == [own / 2, own]
    held = curve.household_years.sum("financial_year").mean("path")
    assert (
        held.sel(deregistration_rate_per_year=own / 2) > held.sel(deregistration_rate_per_year=own)
    ).all()
    cost = curve.placement_cost.sum("financial_year").mean("path")
    assert (
        cost.sel(deregistration_rate_per_year=own / 2) <= cost.sel(deregistration_rate_per_year=own)
    ).all()
    assert len(curve.table()) == 4 and "deregistration_rate_per_year" in curve.table()
    with pytest.raises(pc.ConfigError, match="deregistration rates must be between 0 and 12"):
        recruitment_curve(hackney, [5], deregistration_rates=[-0.1], months=12, paths=5)
    with pytest.raises(pc.ConfigError, match="cost per household a year must be a number >= 0"):
        recruitment_curve(
            hackney, [5], retention_cost_per_household_year_gbp=-1, months=12, paths=5
        )


def test_recruit_command_tries_retention_rates(tmp_path, capsys):
    from placecast.cli import main

    out = tmp_path / "r"
    args = ["recruit", "--approvals", "5", "--deregistration-rate", "0.05"]
    args += ["--retention-cost", "400", "--months", "12", "--paths", "20", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "deregistration a year" in printed and "retention offer £400" in printed
    table = pd.read_csv(out / "recruitment_curve.csv")
    assert len(table) == 4 and set(table["deregistration_rate_per_year"].round(3)) >= {0.05}


def test_refinement_halves_the_gaps_around_the_best_number(monkeypatch):
    """Each round forecasts only the midpoints either side of the best number so far (on the
    same random numbers), so the optimum is found between grid points; the expected cost at
    the refined best is never above the grid's best."""
    from placecast.scenario import recruitment

    hackney = pc.hackney_2022()
    grid = recruitment_curve(hackney, [8, 16], months=24, paths=40, seed=3)
    runs = []
    real = recruitment._forecast_option
    monkeypatch.setattr(recruitment, "_forecast_option", lambda *a: runs.append(a[1]) or real(*a))
    refined = recruitment_curve(hackney, [8, 16], months=24, paths=40, seed=3, refine=2)
    numbers = list(refined.placement_cost["approvals_per_year"].values)
    points = [0.0, 8.0, 16.0]
    i = points.index(grid.best())
    halves = {(a + b) / 2 for a, b in itertools.pairwise(points[max(i - 1, 0) : i + 2])}
    assert halves <= set(numbers) and len(runs) == len(set(runs)) == len(numbers)
    mean = lambda c: c.total_cost().sum("financial_year").mean("path")  # noqa: E731
    assert float(mean(refined).min()) <= float(mean(grid).min())
    # The grid's own points are the same forecasts, bit for bit.
    np.testing.assert_array_equal(
        refined.placement_cost.sel(approvals_per_year=16.0),
        grid.placement_cost.sel(approvals_per_year=16.0),
    )
    with pytest.raises(pc.ConfigError, match="refine must be a whole number"):
        recruitment_curve(hackney, [5], refine=-1, months=12, paths=5)
