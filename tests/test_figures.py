"""A council's own figures in a workbook: written prefilled, read back exactly, edits used,
every bad cell refused naming sheet, row and column."""

from __future__ import annotations

import openpyxl
import pytest

import placecast as pc
from placecast.cli import main
from placecast.data.figures import read_council_figures, write_figures_template
from placecast.errors import InputError


@pytest.fixture(scope="module")
def template(hackney, tmp_path_factory):
    return write_figures_template(hackney, tmp_path_factory.mktemp("fig") / "figures.xlsx")


def _edited(template, tmp_path, sheet, cell, value):
    book = openpyxl.load_workbook(template)
    book[sheet][cell] = value
    path = tmp_path / "edited.xlsx"
    book.save(path)
    return path


def test_the_template_reads_back_as_the_inputs_it_was_written_from(hackney, template):
    back = read_council_figures(template, hackney)
    assert back.supply == hackney.supply
    assert back.costs == hackney.costs
    assert back.budget == hackney.budget
    assert back.sources[-1] == "user-entered: carer supply, unit costs and budget from figures.xlsx"
    assert back.rates is hackney.rates and back.initial is hackney.initial


def test_edited_figures_are_the_ones_forecast(hackney, template, tmp_path):
    """More households and a larger IFA cost reach the forecast; the stock and rates do not
    change."""
    book = openpyxl.load_workbook(template)
    book["carer_supply"]["B2"] = 200  # households
    book["unit_costs"]["B4"] = 1500  # ifa, weekly
    book["budget"]["B2"] = 25_000_000
    path = tmp_path / "mine.xlsx"
    book.save(path)
    mine = read_council_figures(path, hackney)
    assert mine.supply.households == 200 and mine.costs.weekly_cost_gbp["ifa"] == 1500
    first = min(mine.budget.placement_budget_gbp)
    assert mine.budget.placement_budget_gbp[first] == 25_000_000
    base = pc.forecast(hackney, months=12, paths=50, seed=1)
    more = pc.forecast(mine, months=12, paths=50, seed=1)
    in_house = "in_house_fostering"
    last = base.children_summary().index.get_level_values("date")[-1]
    assert (
        more.children_summary().loc[(last, in_house), "mean"]
        >= base.children_summary().loc[(last, in_house), "mean"]
    )


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        (
            "unit_costs",
            "B4",
            "£1,050",
            r"sheet 'unit_costs'.*row 4.*column 'weekly_cost_gbp'.*"
            r"not a number: enter the weekly cost in pounds as a number \(no £ sign",
        ),
        ("unit_costs", "C3", "three percent", r"row 3.*column 'inflation_per_year'"),
        ("unit_costs", "A3", "kinship", r"row 3.*column 'placement'.*unknown placement 'kinship'"),
        ("unit_costs", "A3", "ifa", r"row 4.*ifa is given twice \(also row 3\)"),
        ("unit_costs", "B5", -10, r"sheet 'unit_costs'.*row 5.*weekly_cost_gbp\['residential'\]"),
        ("carer_supply", "B2", "ninety", r"sheet 'carer_supply'.*row 2.*column 'value'"),
        ("carer_supply", "B6", 1.2, r"row 6.*unusable_place_share must be in \[0, 1\)"),
        ("carer_supply", "B2", -3, r"row 2.*households must be a finite number from 0"),
        ("carer_supply", "A3", "places", r"row 3.*unknown figure 'places'"),
        ("budget", "A2", "2022/24", r"sheet 'budget'.*row 2.*'2022/24' is not a financial year"),
        ("budget", "A3", "2020/21", r"row 3.*2020/21 is given twice \(also row 2\)"),
        ("budget", "B2", -5, r"row 2.*column 'placement_budget_gbp'.*negative"),
        ("budget", "B2", "19.2m", r"row 2.*not a number: enter the budget"),
        ("about", "B4", "2022", r"sheet 'about'.*row 4.*whose prices the unit costs are in"),
    ],
)
def test_a_bad_cell_is_refused_naming_sheet_row_and_column(
    hackney, template, tmp_path, sheet, cell, value, message
):
    path = _edited(template, tmp_path, sheet, cell, value)
    with pytest.raises(InputError, match=message):
        read_council_figures(path, hackney)


def test_missing_sheets_rows_and_files_are_named(hackney, template, tmp_path):
    book = openpyxl.load_workbook(template)
    del book["budget"]
    path = tmp_path / "no_budget.xlsx"
    book.save(path)
    with pytest.raises(InputError, match="no sheet 'budget'"):
        read_council_figures(path, hackney)
    book = openpyxl.load_workbook(template)
    book["unit_costs"].delete_rows(7)  # 'other'
    book.save(path)
    with pytest.raises(InputError, match="no row for other: every placement needs a weekly cost"):
        read_council_figures(path, hackney)
    text = tmp_path / "figures.xlsx"
    text.write_text("households,90\n")
    with pytest.raises(InputError, match="cannot be read as an Excel workbook"):
        read_council_figures(text, hackney)


def test_init_and_forecast_with_figures_from_the_command_line(template, tmp_path, capsys):
    out = tmp_path / "mine.xlsx"
    assert main(["init", "--out", str(out)]) == 0
    assert main(["init", "--out", str(out)]) == 2  # never overwrites a filled-in workbook
    assert "--force to replace it" in capsys.readouterr().err
    bad = _edited(out, tmp_path, "budget", "B3", "lots")
    code = main(
        [
            "forecast",
            "--figures",
            str(bad),
            "--paths",
            "20",
            "--months",
            "12",
            "--out",
            str(tmp_path / "run"),
            "--no-charts",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "sheet 'budget'" in err and "row 3" in err and "placement_budget_gbp" in err
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def typed(hackney, tmp_path_factory):
    """Hackney with cost sub-types (one with a share by year) and a high-cost tier."""
    from dataclasses import replace

    costs = replace(
        hackney.costs,
        subtypes=(
            pc.CostSubtype("secure", "residential", 0.05, weekly_cost_gbp=4025, source="CCO"),
            pc.CostSubtype("registered", "semi_independent", {2024: 0.3, 2026: 0.6}, uplift=0.2),
        ),
        tails={"residential": pc.CostTail(0.02, 12_000.0, cv=0.3, source="LGA")},
    )
    council = replace(hackney, costs=costs)
    return council, write_figures_template(council, tmp_path_factory.mktemp("t") / "typed.xlsx")


def test_cost_types_and_tiers_go_through_the_workbook(typed, hackney, template, tmp_path):
    council, path = typed
    back = read_council_figures(path, council)
    assert back.costs.subtypes == (
        pc.CostSubtype("secure", "residential", 0.05, weekly_cost_gbp=4025, source="CCO"),
        pc.CostSubtype("registered", "semi_independent", {2024: 0.3, 2026: 0.6}, uplift=0.2),
    )
    assert back.costs.tails == council.costs.tails
    # Emptied sheets mean none; a workbook without the sheets keeps the inputs' own.
    book = openpyxl.load_workbook(path)
    book["cost_types"].delete_rows(2, 10)
    book["high_cost_tiers"].delete_rows(2, 10)
    book.save(tmp_path / "none.xlsx")
    none = read_council_figures(tmp_path / "none.xlsx", council)
    assert none.costs.subtypes == () and not none.costs.tails
    del book["cost_types"], book["high_cost_tiers"]
    book.save(tmp_path / "old.xlsx")
    assert read_council_figures(tmp_path / "old.xlsx", council).costs.tails == council.costs.tails


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "message"),
    [
        ("cost_types", "C2", "5%", r"sheet 'cost_types'.*row 2.*column 'share'.*not a number"),
        ("cost_types", "A2", "homes", r"sheet 'cost_types'.*row 2.*unknown placement 'homes'"),
        ("cost_types", "C2", 1.5, r"sheet 'cost_types'.*row 2.*share 1.5 must be a number"),
        ("cost_types", "F4", "2024/25", r"sheet 'cost_types'.*row 4.*share given twice"),
        ("cost_types", "A2", "semi_independent", None),
        ("high_cost_tiers", "B2", 0.5, r"sheet 'high_cost_tiers'.*lower the tier's share"),
        ("high_cost_tiers", "C2", "£12k", r"sheet 'high_cost_tiers'.*row 2.*not a number"),
    ],
)
def test_a_bad_cost_type_cell_is_refused_naming_sheet_and_row(
    typed, tmp_path, sheet, cell, value, message
):
    council, template = typed
    path = _edited(template, tmp_path, sheet, cell, value)
    if message is None:  # secure moved to semi-independent: 5% + 60% from 2026/27 is fine...
        assert read_council_figures(path, council).costs.subtypes[0].placement == value
        book = openpyxl.load_workbook(path)
        book["cost_types"]["C4"] = 0.99  # ...but 5% + 99% is more than all of it
        book.save(path)
        message = r"sheet 'cost_types'.*shares add up to 104% in 2026/27"
    with pytest.raises(InputError, match=message):
        read_council_figures(path, council)
