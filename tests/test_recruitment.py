"""How many carers to recruit: known answers on a hand-made curve, and the engine's curve."""

from __future__ import annotations

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
