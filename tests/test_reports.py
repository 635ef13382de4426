"""Reports: tidy tables, Excel workbook, self-contained HTML, and the compare command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import placecast as pc
from placecast.cli import main
from placecast.report import comparison_text, tidy_tables, write_excel, write_html
from placecast.report.tables import (
    cost_and_overspend,
    financial_year_label,
    summary_by_financial_year,
)

EXAMPLE = Path(__file__).parents[1] / "examples" / "hackney_scenarios.toml"


@pytest.fixture(scope="module")
def comparison(hackney):
    return pc.compare(
        hackney,
        [
            pc.Scenario(
                "recruit", extra_approvals_per_year=10, cost_per_recruited_household_gbp=1e4
            ),
            pc.Scenario("home", own_home_beds=2, own_home_weekly_cost_per_bed_gbp=3000),
        ],
        months=24,
        paths=40,
        seed=2,
    )


def test_tidy_tables_are_long_and_complete(comparison):
    """One kind of row per table: totals in tables of their own, so a pivot of a table never
    counts a total twice (and the totals are the sums of the parts); financial years as
    "2020/21"; money columns in _gbp."""
    tables = tidy_tables(comparison)
    spend = tables["spend_by_financial_year"]
    assert {"scenario", "cost", "financial_year", "mean_gbp", "p05_gbp", "p95_gbp"} <= set(spend)
    assert set(spend["scenario"]) == {"baseline", "recruit", "home"}
    home_costs = spend[(spend["scenario"] == "home") & (spend["cost"] == "scenario_costs")]
    assert (home_costs["mean_gbp"] > 0).all()
    assert len(tables["savings_by_financial_year"]) == 2 * 2
    for name, frame in tables.items():
        for column in ("placement", "cost"):
            assert "total" not in set(frame.get(column, [])), name
        if "financial_year" in frame:
            assert frame["financial_year"].str.fullmatch(r"\d{4}/\d{2}").all(), name
    total = tables["spend_total_by_financial_year"].set_index(["scenario", "financial_year"])
    parts = spend.groupby(["scenario", "financial_year"])["mean_gbp"].sum()
    np.testing.assert_allclose(parts.reindex(total.index), total["mean_gbp"], rtol=1e-9)
    children = tables["children_by_placement"].groupby(["scenario", "date"])["mean"].sum()
    in_care = tables["children_in_care_total"].set_index(["scenario", "date"])["mean"]
    np.testing.assert_allclose(children.reindex(in_care.index), in_care, rtol=1e-9)


def test_cost_and_overspend_agree_with_the_forecasts(comparison):
    """The one money table the text and HTML reports format: cost minus budget is the
    overspend (means), and cost is the spend table's total."""
    money = cost_and_overspend(comparison)
    assert money.index.names == ["scenario", "financial_year"]
    assert set(money.index.get_level_values("scenario")) == {"baseline", "recruit", "home"}
    np.testing.assert_allclose(
        money["cost_mean"] - money["budget"], money["overspend_mean"], rtol=1e-9
    )
    assert (money["cost_p05"] <= money["cost_mean"]).all()
    assert (money["cost_mean"] <= money["cost_p95"]).all()
    total = tidy_tables(comparison)["spend_total_by_financial_year"]
    total = total.set_index(["scenario", "financial_year"])["mean_gbp"]
    np.testing.assert_allclose(money["cost_mean"], total.reindex(money.index))
    text = comparison_text(comparison)
    first = money.index.get_level_values("financial_year")[0]
    assert first == "2020/21"  # labelled as people write it, in the API as in the files
    assert f"baseline {first}" in text
    assert text.count(f"recruit  {first}") == 2  # cost and savings tables
    assert financial_year_label(2024) == "2024/25" and financial_year_label(1999) == "1999/00"


def test_comparison_summary_prints_millions_with_intervals(comparison):
    """What a script prints: financial years as "2020/21", money in £m with its 90% interval
    (no 1.9e+07), the same numbers as the money table; the baseline saves nothing against
    itself (blank), a scenario's years before its levers start read "not started"."""
    table = comparison.summary()
    money = cost_and_overspend(comparison)
    first = money.index[0]
    row = table.loc[("baseline", first[1])]
    assert row["cost"] == f"£{money.loc[first, 'cost_mean'] / 1e6:,.2f}m"
    assert row["cost 90% interval"].count("£") == 2 and " to " in row["cost 90% interval"]
    assert row["saving"] == "" and row["P(overspend)"].endswith("%")
    assert "e+" not in table.to_string()
    late = pc.compare(
        pc.hackney_2020(),
        [pc.Scenario("later", extra_approvals_per_year=10, from_date="2021-06")],
        months=36,
        paths=10,
        seed=1,
    ).summary()
    assert late.loc[("later", "2020/21"), "saving"] == "not started"
    assert late.loc[("later", "2021/22"), "saving"].endswith("m")


def test_summary_by_financial_year_is_the_tidy_tables_side_by_side(comparison):
    """The summary holds, for each financial year and scenario, the same cost, budget,
    overspend and saving as the tidy tables; the baseline has no saving."""
    summary = tidy_tables(comparison)
    wide = summary_by_financial_year(comparison).set_index(["scenario", "financial_year"])
    total = summary["spend_total_by_financial_year"].set_index(["scenario", "financial_year"])
    over = summary["overspend_by_financial_year"].set_index(["scenario", "financial_year"])
    saved = summary["savings_by_financial_year"].set_index(["scenario", "financial_year"])
    np.testing.assert_allclose(wide["cost_mean_gbp"], total["mean_gbp"].reindex(wide.index))
    np.testing.assert_allclose(wide["budget_gbp"], over["budget_gbp"].reindex(wide.index))
    np.testing.assert_allclose(
        wide["probability_of_overspend"], over["probability_of_overspend"].reindex(wide.index)
    )
    np.testing.assert_allclose(
        wide.drop(index="baseline", level="scenario")["saving_mean_gbp"],
        saved["saving_mean_gbp"].reindex(wide.drop(index="baseline", level="scenario").index),
    )
    assert wide.loc["baseline", "saving_mean_gbp"].isna().all()
    # Years in time order, the baseline first within each.
    flat = summary_by_financial_year(comparison)
    assert list(flat["scenario"][:3]) == ["baseline", "recruit", "home"]
    assert flat["financial_year"].is_monotonic_increasing


def test_excel_workbook_has_tidy_sheets_and_provenance(comparison, tmp_path):
    path = write_excel(comparison, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    assert {
        "about",
        "spend_by_financial_year",
        "savings_by_financial_year",
        "inputs_unit_costs",
        "scenario_levers",
        "sufficiency",
    } <= set(wb.sheetnames)
    about = {r[0]: r[1] for r in wb["about"].iter_rows(min_row=2, values_only=True)}
    assert about["seed"] == "2" and about["simulated paths"] == "40"
    import datetime

    assert about["run date"] == datetime.date.today().isoformat()  # the run's, kept with it
    sheet = wb["overspend_by_financial_year"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["scenario", "financial_year", "budget_gbp"]
    assert sheet["B2"].value == "2020/21" and sheet["C2"].number_format.startswith("£#,##0")
    assert sheet.cell(2, header.index("probability_of_overspend") + 1).number_format == "0%"
    children = wb["children_by_placement"]
    assert children["B2"].number_format == "yyyy-mm-dd"  # a date, not "00:00:00"
    # Every sheet with rows is an Excel Table (filters), named after it.
    for ws in wb.worksheets:
        if ws.max_row > 1:
            assert list(ws.tables) == ["t_" + ws.title], ws.title
    levers = list(wb["scenario_levers"].iter_rows(min_row=2, values_only=True))
    assert ("home", "own_home_beds", 2) in levers  # a number, not the text '2'
    unit = wb["inputs_unit_costs"]
    assert unit["C2"].number_format == "0.0%"
    # The wide summary comes first after "about", with the formats of its columns' kinds.
    assert wb.sheetnames[:2] == ["about", "summary_by_financial_year"]
    summary = wb["summary_by_financial_year"]
    header = [c.value for c in summary[1]]
    assert summary.cell(2, header.index("cost_mean_gbp") + 1).number_format.startswith("£#,##0")
    assert summary.cell(3, header.index("probability_of_saving") + 1).number_format == "0%"


def test_html_report_is_self_contained(comparison, tmp_path):
    text = write_html(comparison, tmp_path / "r.html").read_text()
    # spend, savings, sufficiency, and fans of all children, in-house, IFA and residential
    assert text.count("data:image/png;base64,") == 7
    assert "src='http" not in text and 'src="http' not in text  # nothing fetched from outside
    for needed in (
        "Provenance",
        "placecast version",
        "seed",
        "data sources",
        "Savings against the baseline",
        "Inputs and assumptions",
        "P(overspend)",
        "Sufficiency at 31 March (baseline)",
        "Usable in-house fostering places",
    ):
        assert needed in text
    # Each chart's title once (its own, in the picture), not repeated as a heading above it.
    headings = set(re.findall(r"<h3>([^<]*)</h3>", text))
    alts = re.findall(r"<img alt='([^']*)'", text)
    assert len(alts) == 7 and not headings & set(alts[1:])
    # Inputs read as amounts: pounds with commas and percentages, not 19200000.0.
    budget = text.split("Placement budget")[1].split("</table>")[0]
    assert re.search(r"£\d{1,3}(,\d{3})+<", budget) and ".0<" not in budget
    assert "3.0%" in text and "age_band" not in text.split("Starting stock")[1][:300]
    # Where each input comes from, and the rates used; no exponents (1e+04) in any table.
    status = text.split("Where each input comes from")[1].split("</table>")[0]
    assert status.count("<tr>") == 6 and "published" in status  # a body row per input
    assert "Rates used" in text and "per child-year" in text
    assert not re.search(r">-?\d(\.\d+)?e[+-]\d+<", text)
    # The method is in the report (offline), linked from its top.
    assert "href='#methodology'" in text and "<h2 id='methodology'>" in text


def test_compare_command_runs_a_toml_file(tmp_path, capsys):
    out = tmp_path / "out"
    assert (
        main(
            [
                "compare",
                str(EXAMPLE),
                "--paths",
                "20",
                "--months",
                "24",
                "--out",
                str(out),
                "--no-charts",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "foster care first" in printed and "own 4-bed children's home" in printed
    assert (out / "report.xlsx").exists() and not (out / "report.html").exists()
    # Provenance: the command with every option as used, the scenarios file's text, and which
    # inputs ran (the embedded default's fingerprint).
    about = dict(openpyxl.load_workbook(out / "report.xlsx")["about"].iter_rows(values_only=True))
    assert about["command"] == (
        f"placecast compare {EXAMPLE} --months=24 --paths=20 --out={out} --no-charts"
    )
    assert about["scenarios file (TOML)"] == EXAMPLE.read_text()
    assert about["inputs SHA-256"] == pc.inputs_fingerprint(pc.hackney_2022())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", about["run time (UTC)"])


def test_compare_command_reports_bad_files_clearly(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nname = "x"\nrecruit = 3\n')
    assert (
        main(["compare", str(bad), "--paths", "5", "--months", "24", "--out", str(tmp_path)]) == 2
    )
    err = capsys.readouterr().err
    assert "bad.toml" in err and "unknown lever" in err and "'recruit'" in err


def test_saved_comparison_round_trips_to_the_same_tables(comparison, tmp_path):
    from placecast.report.tables import inputs_tables
    from placecast.results import load_comparison, save_comparison

    back = load_comparison(save_comparison(comparison, tmp_path / "saved"))
    for make in (tidy_tables, inputs_tables):
        before, after = make(comparison), make(back)
        assert before.keys() == after.keys()
        for name in before:
            pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False)
    assert back.scenarios[1].scenario == comparison.scenarios[1].scenario


def test_report_command_remakes_reports_without_simulating(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(["forecast", "--paths", "20", "--months", "24", "--out", str(out), "--no-charts"]) == 0
    )
    first = capsys.readouterr().out
    rep = tmp_path / "rep"
    assert main(["report", str(out / "results"), "--out", str(rep), "--no-charts"]) == 0
    assert capsys.readouterr().out == first  # the same summary, from the saved results
    assert (rep / "report.xlsx").exists()
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "comparison.json missing" in capsys.readouterr().err


def test_saved_inputs_drive_the_cli(hackney, tmp_path, capsys):
    from placecast.results import load_inputs, save_inputs

    folder = save_inputs(hackney, tmp_path / "inputs")
    back = load_inputs(folder)
    assert back.initial.total == hackney.initial.total
    np.testing.assert_allclose(
        back.rates.monthly_probabilities(), hackney.rates.monthly_probabilities()
    )
    assert back.budget == hackney.budget and back.supply == hackney.supply
    # A finance officer edits inputs.json (here: more carers) and forecasts from it.
    meta = json.loads((folder / "inputs.json").read_text())
    meta["supply"]["households"] = 120
    (folder / "inputs.json").write_text(json.dumps(meta))
    assert load_inputs(folder).supply.households == 120
    assert (
        main(
            [
                "forecast",
                "--inputs",
                str(folder),
                "--paths",
                "10",
                "--months",
                "24",
                "--out",
                str(tmp_path / "o"),
                "--no-charts",
            ]
        )
        == 0
    )
    capsys.readouterr()
    meta["supply"]["households"] = -1
    (folder / "inputs.json").write_text(json.dumps(meta))
    assert (
        main(
            [
                "forecast",
                "--inputs",
                str(folder),
                "--paths",
                "10",
                "--months",
                "24",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "households" in capsys.readouterr().err
    del meta["supply"]
    (folder / "inputs.json").write_text(json.dumps(meta))
    with pytest.raises(pc.InputError, match=r"inputs.json: no 'supply' section; it should hold"):
        load_inputs(folder)


def test_names_a_spreadsheet_would_run_are_written_as_text(hackney, tmp_path):
    """A scenario named like a formula (the audit wrote 198 HYPERLINK cells) reaches Excel and
    CSV as text; terminal escapes and surrounding spaces are stripped from names."""
    from placecast.report.tables import write_comparison

    evil = '=HYPERLINK("http://example.invalid","click")'
    cmp = pc.compare(
        hackney,
        [pc.Scenario(evil, extra_approvals_per_year=5), pc.Scenario("\x1b[31m@red\x1b[0m \n")],
        months=24,
        paths=10,
        seed=1,
    )
    assert [s.name for s in cmp.scenarios] == [evil, "@red"]
    book = openpyxl.load_workbook(write_excel(cmp, tmp_path / "r.xlsx"))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    assert any(c.value == "'" + evil for c in cells) and any(c.value == "'@red" for c in cells)
    for path in write_comparison(cmp, tmp_path / "csv"):
        text = path.read_text()
        assert "\n=" not in text and ",=" not in text and ",@" not in text and "\x1b" not in text


def test_charts_stay_readable_with_many_scenarios():
    """From three scenarios the fans are small multiples, one panel per scenario against the
    baseline's median and band (four overlaid fans merged into one smear); every time axis is
    labelled by financial year."""
    from placecast.report.charts import SMALL_MULTIPLES_FROM, comparison_charts

    levers = [pc.Scenario(f"recruit {n}", extra_approvals_per_year=n) for n in (5, 10, 20, 40)]
    many = pc.compare(pc.hackney_2022(), levers, months=24, paths=20, seed=1)
    few = pc.compare(pc.hackney_2022(), levers[:1], months=24, paths=20, seed=1)
    assert len(many.scenarios) >= SMALL_MULTIPLES_FROM > len(few.scenarios)
    for cmp, panels in ((many, 4), (few, 1)):
        for stem, fig in comparison_charts(cmp):
            shown = [ax for ax in fig.axes if ax.get_visible()]
            if stem in ("spend", "savings", "sufficiency"):  # one panel, all scenarios
                continue
            assert len(shown) == panels, stem
            labels = [t.get_text() for t in shown[-1].get_xticklabels()]
            assert labels and all(re.fullmatch(r"\d{4}/\d{2}", t) for t in labels), labels
            if panels > 1:
                assert [ax.get_title() for ax in shown] == [s.name for s in levers]
                assert "each scenario against the baseline" in fig.get_suptitle()


def test_reports_say_how_accurate_forecasts_from_published_fits_have_been(tmp_path):
    """Inputs from a fit of DfE's tables (the embedded default) get the rolling backtest's
    table, its verdicts read from the shipped evidence and a caution in words; hand-made
    inputs get none (the evidence is not about them)."""
    from placecast.report.accuracy import accuracy_evidence

    rows = pd.DataFrame(accuracy_evidence()["rows"])
    cmp = pc.compare(pc.hackney_2022(), [], months=12, paths=20, seed=1)
    text = write_html(cmp, tmp_path / "r.html", charts=[]).read_text()
    section = text.split("How accurate such forecasts have been")[1].split("<h2")[0]
    body = section.split("<table")[1]
    assert body.count("<tr>") == len(rows)  # a body row per measure and horizon
    worse = int((rows["gap_last_value_q05"] > 0).sum() + (rows["gap_linear_trend_q05"] > 0).sum())
    better = int((rows["gap_last_value_q95"] < 0).sum() + (rows["gap_linear_trend_q95"] < 0).sum())
    assert body.count("WORSE (") == worse and body.count("better (") == better
    assert accuracy_evidence()["run"] in section  # which run it is, to regenerate it
    # and that its intervals were wider than the report's own (published counts' noise)
    assert "This report&#x27;s intervals are the paths alone" in section
    if worse:
        assert "class='caution'" in section and "did worse than carrying" in section
    workbook = openpyxl.load_workbook(write_excel(cmp, tmp_path / "r.xlsx"))
    sheet = workbook["accuracy_out_of_sample"]
    assert sheet.max_row == 1 + len(rows) and sheet["A1"].value == "measure"
    about = {r[0]: r[1] for r in workbook["about"].iter_rows(min_row=2, values_only=True)}
    assert accuracy_evidence()["run"] in about["accuracy_out_of_sample (sheet)"]
    if worse:  # the terminal's summary says it too
        assert "Out of sample: On the backtest of every council" in comparison_text(cmp)
    hand_made = pc.compare(pc.hackney_2020(), [], months=12, paths=20, seed=1)
    assert "Out of sample" not in comparison_text(hand_made)
    assert "How accurate" not in write_html(hand_made, tmp_path / "h.html", charts=[]).read_text()
    book = openpyxl.load_workbook(write_excel(hand_made, tmp_path / "h.xlsx"))
    assert "accuracy_out_of_sample" not in book.sheetnames


def test_shipped_accuracy_evidence_is_its_runs_table():
    """The evidence in the package is the stored run's by-horizon table, number for number
    (regenerate with ``python benchmarks/tables.py <run> --ship``)."""
    from placecast.report.accuracy import accuracy_evidence

    evidence = accuracy_evidence()
    runs = Path(__file__).parents[1] / "benchmarks" / "runs" / evidence["run"]
    stored = pd.read_csv(runs / "by_horizon.csv")
    shipped = pd.DataFrame(evidence["rows"])[stored.columns]
    pd.testing.assert_frame_equal(shipped, stored, check_dtype=False)
    assert f"{stored['councils'].max()} councils" in evidence["source"]


def test_accuracy_shows_the_coverage_of_the_reports_own_kind_of_interval(monkeypatch):
    """Evidence that holds the paths' own coverage (runs since 2026-12-07) is shown with it and
    says so; older evidence shows the published forecast's and says the report's are
    narrower."""
    from placecast.report import accuracy

    evidence = accuracy.accuracy_evidence()
    check = {"model": "AggregateModel (Hackney, to 2022)"}
    older = [{k: v for k, v in r.items() if not k.endswith("_paths")} for r in evidence["rows"]]
    monkeypatch.setattr(accuracy, "accuracy_evidence", lambda: {**evidence, "rows": older})
    assert accuracy.PATHS_ONLY in accuracy.accuracy_note()
    short = [{**r, "coverage_90": 0.5} for r in older]  # every cell short of 85%
    monkeypatch.setattr(accuracy, "accuracy_evidence", lambda: {**evidence, "rows": short})
    assert accuracy.accuracy_warning(check).endswith("own intervals are narrower than those.")
    rows = [{**r, "coverage_90_paths": 0.5, "coverage_50_paths": 0.25} for r in older]
    monkeypatch.setattr(accuracy, "accuracy_evidence", lambda: {**evidence, "rows": rows})
    table = accuracy.accuracy_table(check)
    assert set(table["90% interval held the outcome"]) == {"50%"}
    assert set(table["50% interval held the outcome"]) == {"25%"}
    assert "(the simulated paths alone)" in accuracy.accuracy_note()
    assert accuracy.PATHS_ONLY not in accuracy.accuracy_note()
    warning = accuracy.accuracy_warning(check)
    assert "held the outcome less than 85% of the time" in warning
    assert "narrower" not in warning  # the coverage shown is of the report's own kind


def test_accuracy_says_which_way_short_intervals_missed(monkeypatch):
    """A 90% interval that held too rarely is named with the side its misses mostly fell on
    (at least twice as many one way), and not where they split evenly or the evidence does not
    say."""
    from placecast.report import accuracy

    evidence = accuracy.accuracy_evidence()
    check = {"model": "AggregateModel (Hackney, to 2022)"}
    base = {k: v for k, v in evidence["rows"][0].items() if not k.endswith("_paths")}
    base = {**base, "gap_last_value_q05": -0.2, "gap_last_value_q95": 0.2}  # no clear gap
    rows = [
        {
            **base,
            "measure": "ceases",
            "horizon": 2,
            "coverage_90": 0.8,
            "below_90": 0.15,
            "above_90": 0.05,
        },
        {
            **base,
            "measure": "starts",
            "horizon": 3,
            "coverage_90": 0.8,
            "below_90": 0.02,
            "above_90": 0.18,
        },
        {
            **base,
            "measure": "fostering",
            "horizon": 1,
            "coverage_90": 0.8,
            "below_90": 0.1,
            "above_90": 0.1,
        },
        {
            **base,
            "measure": "fostering",
            "horizon": 2,
            "coverage_90": 0.95,
            "below_90": 0.05,
            "above_90": 0.0,
        },
    ]
    monkeypatch.setattr(accuracy, "accuracy_evidence", lambda: {**evidence, "rows": rows})
    warning = accuracy.accuracy_warning(check)
    assert (
        "held the outcome less than 85% of the time for ceases 2 years ahead (the outcome "
        "mostly below the interval: fewer than forecast); starts 3 years ahead (the outcome "
        "mostly above the interval: more than forecast); fostering 1 year ahead." in warning
    )  # fostering 1 year ahead split evenly
    assert "fostering 2" not in warning  # held often enough
    older = [
        {k: v for k, v in r.items() if not k.endswith("_90") or k == "coverage_90"} for r in rows
    ]
    monkeypatch.setattr(accuracy, "accuracy_evidence", lambda: {**evidence, "rows": older})
    assert "mostly" not in accuracy.accuracy_warning(check)


def test_accuracy_cells_read_as_words():
    from placecast.report.accuracy import _cells

    rows = pd.DataFrame(
        {"measure": ["starts", "fostering", "fostering", "ceases"], "horizon": [3, 3, 2, 1]}
    )
    assert (
        _cells(rows) == "fostering 2 and 3 years ahead; starts 3 years ahead; ceases 1 year ahead"
    )


class _OwnScenario:
    """A scenario of a user's own: a name and ``apply``, no levers (as ``SupportsApply``)."""

    name = "own"

    def apply(self, inputs, months):
        return pc.Scenario("inner", extra_approvals_per_year=5).apply(inputs, months)


def test_a_scenario_of_ones_own_reports_but_is_refused_by_save_with_the_fix(hackney, tmp_path):
    from placecast.report.tables import inputs_tables
    from placecast.results import save_comparison

    # compare takes Scenarios only; a comparison can still be put together from forecasts.
    run = {"months": 12, "paths": 10, "seed": 1}
    cmp = pc.Comparison(
        baseline=pc.forecast(hackney, **run),
        scenarios=[pc.forecast(hackney, scenario=_OwnScenario(), **run)],
    )
    levers = inputs_tables(cmp)["scenario_levers"]
    assert "own" not in set(levers["scenario"])  # no levers to list, and no error
    with pytest.raises(pc.ConfigError, match=r"'own' is a _OwnScenario, not a Scenario.*save"):
        save_comparison(cmp, tmp_path / "saved")
    assert not (tmp_path / "saved").exists()  # refused before anything is written


def test_the_children_in_care_fan_shows_the_published_years_before_it():
    """Inputs from DfE's tables carry the published 31 March figures: the chart of all children
    draws the last five before the start as points (Hackney 2017-2021: 368, 382, 405, 431, 418)
    and its axis reaches back to them; inputs without a history draw none."""
    from matplotlib.dates import date2num

    from placecast.report.charts import HISTORY_YEARS, fan_chart, fan_panels

    label = "published, 31 March (DfE)"
    fitted = pc.compare(pc.hackney_2022(), [], months=12, paths=20, seed=1)
    ax = fan_chart(fitted.forecasts)
    (points,) = [line for line in ax.get_lines() if line.get_label() == label]
    assert list(points.get_ydata()) == [368.0, 382.0, 405.0, 431.0, 418.0]
    assert len(points.get_xdata()) == HISTORY_YEARS
    assert ax.get_xticklabels()[0].get_text() == "2017/18"
    assert ax.get_xlim()[0] <= date2num(pd.Timestamp("2017-03-31"))  # the axis reaches back
    levers = [pc.Scenario(f"recruit {n}", extra_approvals_per_year=n) for n in (5, 10, 20)]
    many = pc.compare(pc.hackney_2022(), levers, months=12, paths=20, seed=1)
    for panel in [a for a in fan_panels(many.forecasts).axes if a.get_visible()]:
        assert [line.get_label() for line in panel.get_lines()].count(label) == 1
    hand_made = pc.compare(pc.hackney_2020(), [], months=12, paths=20, seed=1)
    assert label not in [line.get_label() for line in fan_chart(hand_made.forecasts).get_lines()]
