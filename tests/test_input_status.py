"""Where each input comes from (published, fitted, assumed, placeholder, edited), the rates a
forecast uses, the fit's check rule by rule, and the reports and charts that show them."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import openpyxl
import pytest

import placecast as pc
from placecast.data.placeholders import placeholder_inputs
from placecast.errors import ConfigError
from placecast.fit.quality import FitCheck, stock_allowance
from placecast.inputs import INPUT_ITEMS, load_inputs, save_inputs
from placecast.report import comparison_text, write_excel
from placecast.report.charts import comparison_charts, sufficiency_chart
from placecast.report.tables import inputs_tables


@pytest.fixture(scope="module")
def default() -> pc.CouncilInputs:
    return pc.hackney_2022()


@pytest.fixture(scope="module")
def small_comparison(default):
    return pc.compare(
        default, [pc.Scenario("recruit", extra_approvals_per_year=10)], months=24, paths=30, seed=3
    )


def test_the_default_says_where_each_input_comes_from(default):
    table = default.status_table().set_index("input")["status"]
    assert list(table.index) == [item.replace("_", " ") for item in INPUT_ITEMS]
    assert table["rates"] == "fitted" and table["starting stock"] == "published"
    assert table["budget"] == "assumed"  # Hackney publishes no placements-only budget


def test_status_survives_saving_and_an_unknown_status_is_refused(default, tmp_path):
    again = load_inputs(save_inputs(default, tmp_path / "in"))
    assert again.status == default.status and again.sources == default.sources
    with pytest.raises(ConfigError, match="unknown input 'carers'"):
        default.with_status(carers="published")
    with pytest.raises(ConfigError, match="'guessed'.*'published'"):
        default.with_status(budget="guessed")


def test_an_edit_to_inputs_json_is_recognised_and_cited(default, tmp_path):
    """After a person edits the carer supply in inputs.json, the status says 'edited' and the
    sources say what changed (the sources a fit wrote no longer describe those numbers); other
    items keep theirs, and writing the same numbers differently (9 as 9.0) is not an edit."""
    folder = save_inputs(default, tmp_path / "in")
    path = folder / "inputs.json"
    meta = json.loads(path.read_text())
    meta["supply"]["approvals_per_year"] = float(meta["supply"]["approvals_per_year"])
    path.write_text(json.dumps(meta))
    assert load_inputs(folder).status == default.status  # the same number
    meta["supply"]["households"] = 120
    meta["budget"]["2023"] = 2.1e7
    path.write_text(json.dumps(meta))
    edited = load_inputs(folder)
    assert edited.status["carer_supply"] == "edited" and edited.status["budget"] == "edited"
    assert edited.status["unit_costs"] == default.status["unit_costs"]
    assert edited.sources[-1] == (
        "edited: carer supply, budget changed in inputs.json after placecast wrote it"
    )
    # Saved again (as a forecast does), the edit stays on record but is not cited twice.
    twice = load_inputs(save_inputs(edited, tmp_path / "again"))
    assert twice.status == edited.status and twice.sources == edited.sources


def test_inputs_saved_before_statuses_read_not_recorded(default, tmp_path):
    folder = save_inputs(default, tmp_path / "in")
    meta = json.loads((folder / "inputs.json").read_text())
    del meta["status"], meta["written"]
    (folder / "inputs.json").write_text(json.dumps(meta))
    table = load_inputs(folder).status_table()
    assert set(table["status"]) == {"not recorded"}


def test_placeholders_are_marked_and_warned_about(default, small_comparison):
    """A fit's stand-in carer supply, unit costs and budget are 'placeholder', and every
    report says in words that the money is an illustration until they are entered."""
    inputs = placeholder_inputs("X", default.initial, default.rates, start="2022-03")
    assert inputs.status["carer_supply"] == "placeholder"
    assert inputs.status["rates"] == "fitted" and inputs.status["starting_stock"] == "published"
    given = placeholder_inputs(
        "X", default.initial, default.rates, start="2022-03", supply=default.supply
    )
    assert given.status["carer_supply"] == "published"
    cmp = pc.compare(inputs, [], months=12, paths=10, seed=1)
    text = comparison_text(cmp)
    assert text.startswith("WARNING: carer supply, unit costs, cost inflation, budget are")
    assert "WARNING" not in comparison_text(small_comparison)


def test_rates_summary_gives_the_rates_the_engine_uses(default):
    """Known answers on point rates (Hackney 2019/20): one value per rate, exits summed over
    reasons, moves summed over other placements; no row for a placement a band cannot be in."""
    point = pc.hackney_2020().rates
    table = point.summary()
    assert (table["rate_p05"] == table["rate_p95"]).all()
    entries = table.set_index("rate").loc["entries"]
    assert entries["rate_mean"] == pytest.approx(float(point.data["entries_per_year"][0]))
    exits = table[(table["rate"] == "exit rate")].set_index(["age_band", "placement"])
    want = point.data["exit_rate_per_year"].sum("exit_reason").sel(draw=0)
    assert exits.loc[("10_15", "ifa"), "rate_mean"] == pytest.approx(
        float(want.sel(age_band="10_15", placement="ifa"))
    )
    moves = point.data["move_rate_per_year"].sel(draw=0, age_band="16_17")
    out_of_res = float(moves.sel(from_placement="residential").sum()) - float(
        moves.sel(from_placement="residential", to_placement="residential")
    )
    by_move = table[table["rate"] == "move rate"].set_index(["age_band", "placement"])
    assert by_move.loc[("16_17", "residential"), "rate_mean"] == pytest.approx(out_of_res)
    assert not ((table["placement"] == "semi_independent") & (table["age_band"] == "10_15")).any()
    # A fitted default: draws give intervals, and its extrapolated levels are shown by year.
    fitted = default.rates.summary()
    tiny = 1e-9  # a rate the same in every draw: its mean and quantiles differ by rounding
    assert (fitted["rate_p05"] <= fitted["rate_mean"] + tiny).all()
    assert (fitted["rate_mean"] <= fitted["rate_p95"] + tiny).all()
    assert (fitted["rate_p95"] > fitted["rate_p05"]).any()
    levels = fitted[fitted["rate"] == "exit rates' level"]
    assert list(levels["forecast_year"][:2]) == ["year 1", "year 2"]


def test_fit_check_table_shows_each_rule():
    good = FitCheck("m", 1.004, 650.0, 0, 2, fitted_stock=410, published_stock=405)
    assert good.table()["passed"].tolist() == ["yes"] * 4
    bad = FitCheck("m", 1.03, 120.0, 3, 2, fitted_stock=500, published_stock=405)
    table = bad.table().set_index("check")
    assert table["passed"].tolist() == ["NO"] * 4
    assert table.loc["smallest bulk effective sample size", "required"].startswith("at least 200")
    assert f"within {stock_allowance(405):,.0f}" in table.iloc[3]["required"]


def test_excel_has_status_rates_and_the_fit_check(small_comparison, tmp_path):
    wb = openpyxl.load_workbook(write_excel(small_comparison, tmp_path / "r.xlsx"))
    assert {"inputs_status", "rates_used", "fit_diagnostics"} <= set(wb.sheetnames)
    status = {r[0]: r[2] for r in wb["inputs_status"].iter_rows(min_row=2, values_only=True)}
    assert status["rates"] == "fitted"
    rates = wb["rates_used"]
    header = [c.value for c in rates[1]]
    assert rates.cell(2, header.index("rate_mean") + 1).number_format == "#,##0.000"
    checks = list(wb["fit_diagnostics"].iter_rows(min_row=2, values_only=True))
    assert [row[3] for row in checks] == ["yes"] * 4
    # Inputs not from a fit have no fit sheet.
    assert "fit_diagnostics" not in inputs_tables(
        pc.compare(pc.hackney_2020(), [], months=12, paths=5, seed=1)
    )


def test_sufficiency_and_savings_charts_draw_the_forecast(small_comparison):
    stems = [stem for stem, _ in comparison_charts(small_comparison)]
    assert stems[:3] == ["spend", "savings", "sufficiency"] and "fan_residential" in stems
    ax = sufficiency_chart(small_comparison.forecasts)
    lines = {line.get_label(): line for line in ax.get_lines()}
    base = small_comparison.baseline
    places = lines["in-house places, baseline (median)"].get_ydata()
    np.testing.assert_allclose(places, base.data["in_house_places"].median("path").values)
    # Recruiting more households gives at least as many places, path by path and so in median.
    more = lines["in-house places, recruit (median)"].get_ydata()
    assert (np.asarray(more) >= np.asarray(places)).all() and more[-1] > places[-1]


def test_a_figures_workbook_marks_its_inputs_user_entered(default, tmp_path):
    from placecast.data.figures import read_council_figures, write_figures_template

    path = write_figures_template(default, tmp_path / "figures.xlsx")
    entered = read_council_figures(path, default)
    assert entered.status["budget"] == "user-entered"
    assert entered.status["rates"] == default.status["rates"]
    assert dataclasses.asdict(entered.supply) == dataclasses.asdict(default.supply)


def test_the_inputs_fingerprint_names_the_numbers_not_the_folder(default, tmp_path):
    again = load_inputs(save_inputs(default, tmp_path / "in"))
    assert pc.inputs_fingerprint(again) == pc.inputs_fingerprint(default)
    more = dataclasses.replace(
        default,
        supply=dataclasses.replace(default.supply, households=default.supply.households + 1),
    )
    assert pc.inputs_fingerprint(more) != pc.inputs_fingerprint(default)
    fc = pc.forecast(more, months=12, paths=5, seed=1)
    assert fc.data.attrs["inputs_sha256"] == pc.inputs_fingerprint(more)


def test_a_fits_caution_is_boxed_in_every_report_and_kept_with_the_inputs(default, tmp_path):
    """A fit that passed but rests on one year of flows (``FitCheck.cautions``, written by
    ``fit-published``): the terminal summary, the HTML report and the workbook's "about" sheet
    say so above the results, and the inputs keep it when saved and loaded."""
    from placecast.report import write_html

    said = "Dorset is fitted to 1 year(s) of ceases and children in care after its first stock"
    check = FitCheck("m", 1.004, 650.0, 0, 2, cautions=(said,))
    assert FitCheck.from_dict(check.to_dict()) == check
    fitted = dataclasses.replace(
        default, fit_check={**check.to_dict(), "passed": True, "summary": check.summary()}
    )
    again = load_inputs(save_inputs(fitted, tmp_path / "in"))
    assert again.fit_check["cautions"] == [said]
    cmp = pc.compare(again, [], months=12, paths=5, seed=1)
    assert comparison_text(cmp).startswith(f"CAUTION: {said}.")
    page = write_html(cmp, tmp_path / "r.html").read_text()
    assert f"<p class='warning'>CAUTION: {said}.</p>" in page
    about = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(write_excel(cmp, tmp_path / "r.xlsx"))["about"].iter_rows(
            min_row=2, values_only=True
        )
    }
    assert about["CAUTION"] == f"CAUTION: {said}." and "WARNING" not in about
    # Inputs written before cautions existed have none, and no box.
    older = {k: v for k, v in fitted.fit_check.items() if k != "cautions"}
    plain = pc.compare(dataclasses.replace(default, fit_check=older), [], months=12, paths=5)
    assert not comparison_text(plain).startswith("CAUTION")
