"""A council's own figures in a workbook: carer supply, unit costs and budget, without JSON.

A fit gives rates and a starting stock; the carer supply, unit costs and budget are the
council's own. :func:`write_figures_template` writes them to an Excel workbook a finance
officer fills in (``placecast init``), prefilled with the inputs' current values and where each
came from; :func:`read_council_figures` reads it back into the inputs (``placecast forecast
--figures``), refusing any cell it cannot use with the sheet, row and column and the fix.

Sheets: ``carer_supply`` (one row per figure), ``unit_costs`` (one row per placement: weekly
cost, yearly inflation, the spread of one child's cost), ``cost_types`` (optional sub-types of a
placement: one row per sub-type, or per sub-type and the financial year its share starts),
``high_cost_tiers`` (optional: a placement's high-cost tier), ``budget`` (one row per financial
year, "2024/25") and ``about`` (what to do, and the financial year whose prices the unit costs
are in). A workbook without the two optional sheets keeps the inputs' cost types.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from placecast.calendar import financial_year_label
from placecast.costs import Budget, CostSubtype, CostTail, UnitCosts
from placecast.errors import ConfigError, InputError, is_number
from placecast.inputs import CouncilInputs
from placecast.supply import CarerSupply

__all__ = ["SUPPLY_FIGURES", "read_council_figures", "write_figures_template"]

#: The carer supply's figures, in the sheet's order, with what each means.
SUPPLY_FIGURES = {
    "households": "approved mainstream foster-carer households at the start (not friends and "
    "family)",
    "places_per_household": "approved places per household",
    "approvals_per_year": "new mainstream households approved a year",
    "deregistration_rate_per_year": "share of households leaving a year (0.13 = 13%)",
    "unusable_place_share": "share of approved places not available (0.2 = 20%)",
}
_PRICES = "prices of financial year"

#: The optional sheets' columns (the first ones needed on each row).
_TYPE_COLUMNS = (
    "placement",
    "cost_type",
    "share",
    "weekly_cost_gbp",
    "uplift",
    "from_financial_year",
    "source",
)
_TIER_COLUMNS = ("placement", "share", "mean_weekly_cost_gbp", "cv", "source")


def write_figures_template(inputs: CouncilInputs, path: str | Path) -> Path:
    """Write ``inputs``' carer supply, unit costs and budget to an editable workbook.

    Parameters
    ----------
    inputs
        The council's inputs (from a fit, or the embedded default).
    path
        The .xlsx file to write.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    space, costs = inputs.space, inputs.costs
    book = Workbook()
    about = book.active
    about.title = "about"
    about.append(["item", "value"])
    for row in (
        ("council", inputs.name),
        (
            "what to do",
            "Replace the values in the carer_supply, unit_costs and budget sheets with your "
            "council's own figures, keeping the sheets, their headings and the names in the "
            "first column; then run: placecast forecast --inputs <inputs folder> --figures "
            f"{path.name}. Optional: cost_types (a placement's sub-types, each a share of its "
            "child-weeks with its own weekly cost or an uplift on the placement's, e.g. secure "
            "within residential; a share that starts in a later year gets a row with "
            "from_financial_year) and high_cost_tiers (a share of a placement's children at a "
            "much higher weekly cost, within its average: see placecast's docs, Costs)",
        ),
        (_PRICES, financial_year_label(costs.price_base_financial_year)),
        *(("source", s) for s in inputs.sources),
    ):
        about.append(list(row))
    supply = book.create_sheet("carer_supply")
    supply.append(["figure", "value", "what it is"])
    for name, meaning in SUPPLY_FIGURES.items():
        supply.append([name, float(getattr(inputs.supply, name)), meaning])
    unit = book.create_sheet("unit_costs")
    unit.append(["placement", "weekly_cost_gbp", "inflation_per_year", "cost_cv", "what it is"])
    for p in space.placement_names:
        unit.append(
            [
                p,
                float(costs.weekly_cost_gbp[p]),
                float(costs.inflation(p)),
                float(costs.cost_cv.get(p, 0.0)),
                space.placements[space.index(p)].label,
            ]
        )
    types = book.create_sheet("cost_types")
    types.append(list(_TYPE_COLUMNS))
    for t in costs.subtypes:
        shares: list[tuple[int | None, float]] = (
            [(int(y), float(v)) for y, v in sorted(t.share.items())]
            if isinstance(t.share, Mapping)
            else [(None, float(t.share))]
        )
        for year, share in shares:
            types.append(
                [
                    t.placement,
                    t.name,
                    share,
                    t.weekly_cost_gbp,
                    t.uplift,
                    None if year is None else financial_year_label(year),
                    t.source or t.label,
                ]
            )
    tiers = book.create_sheet("high_cost_tiers")
    tiers.append(list(_TIER_COLUMNS))
    for placement, tail in costs.tails.items():
        tiers.append([placement, tail.share, tail.mean_weekly_cost_gbp, tail.cv, tail.source])
    budget = book.create_sheet("budget")
    budget.append(["financial_year", "placement_budget_gbp"])
    for year, value in sorted(inputs.budget.placement_budget_gbp.items()):
        budget.append([financial_year_label(int(year)), float(value)])
    formats = {
        ("carer_supply", "B"): "0.00##",
        ("unit_costs", "B"): "£#,##0.00",
        ("unit_costs", "C"): "0.0%",
        ("unit_costs", "D"): "0.00",
        ("cost_types", "C"): "0.0%",
        ("cost_types", "D"): "£#,##0.00",
        ("cost_types", "E"): "0.0%",
        ("high_cost_tiers", "B"): "0.0%",
        ("high_cost_tiers", "C"): "£#,##0.00",
        ("budget", "B"): "£#,##0",
    }
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for column in ws.columns:
            letter = column[0].column_letter
            widest = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[letter].width = min(max(12, widest + 2), 90)
            for cell in column[1:]:
                fmt = formats.get((ws.title, letter))
                if fmt:
                    cell.number_format = fmt
    book.save(path)
    return path


def read_council_figures(path: str | Path, inputs: CouncilInputs) -> CouncilInputs:
    """``inputs`` with the carer supply, unit costs and budget of a filled-in workbook.

    Parameters
    ----------
    path
        A workbook written by :func:`write_figures_template` and edited.
    inputs
        The council's inputs (stock and rates are kept).

    Returns
    -------
    CouncilInputs
        The same inputs with the workbook's figures, and a source line naming the file.

    Raises
    ------
    InputError
        The file cannot be read, a sheet or figure is missing, or a cell is not a usable
        number or year; the message names the sheet, row and column, and the fix.
    """
    from openpyxl import load_workbook

    path = Path(path)
    try:
        book = load_workbook(path, data_only=True, read_only=True)
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except Exception as err:  # openpyxl raises several kinds for a file that is not xlsx
        raise InputError(
            f"cannot be read as an Excel workbook ({type(err).__name__}); write one with "
            "'placecast init'",
            file=str(path),
        ) from None
    sheets = {ws.title: ws for ws in book.worksheets}
    space = inputs.space

    def rows(sheet: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
        if sheet not in sheets:
            raise InputError(
                f"no sheet {sheet!r}: keep the template's sheets (placecast init writes them)",
                file=str(path),
            )
        found = list(sheets[sheet].iter_rows(values_only=True))
        header = [str(h).strip() if h is not None else "" for h in (found[0] if found else ())]
        missing = [c for c in columns if c not in header]
        if missing:
            raise InputError(
                f"sheet {sheet!r} has no column {missing[0]!r} in its first row: keep the "
                "template's headings",
                file=str(path),
            )
        out = []
        for number, values in enumerate(found[1:], start=2):
            cells = dict(zip(header, values, strict=False))
            if all(cells.get(c) in (None, "") for c in columns):
                continue  # a blank row
            out.append((number, cells))
        return out

    def number(sheet: str, row: int, column: str, value: Any, what: str) -> float:
        if isinstance(value, str):
            cleaned = value.strip()
            text = re.fullmatch(r"[-+]?\d+(\.\d+)?", cleaned)
            if text:
                value = float(cleaned)
        if not is_number(value):
            raise InputError(
                f"{value!r} is not a number: enter {what} as a number (no £ sign, commas or "
                "words; a percentage as 0.13 or as 13% formatted)",
                file=f"{path} sheet {sheet!r}",
                row=row,
                column=column,
            )
        return float(value)

    supply_values: dict[str, float] = {}
    supply_rows: dict[str, int] = {}
    for row, cells in rows("carer_supply", ("figure", "value")):
        name = str(cells["figure"] or "").strip()
        if name not in SUPPLY_FIGURES:
            raise InputError(
                f"unknown figure {name!r}: the figures are {', '.join(SUPPLY_FIGURES)}",
                file=f"{path} sheet 'carer_supply'",
                row=row,
                column="figure",
            )
        if name in supply_values:
            raise InputError(
                f"{name} is given twice (also row {supply_rows[name]}): keep one",
                file=f"{path} sheet 'carer_supply'",
                row=row,
                column="figure",
            )
        supply_values[name] = number("carer_supply", row, "value", cells["value"], name)
        supply_rows[name] = row
    absent = [n for n in SUPPLY_FIGURES if n not in supply_values]
    if absent:
        raise InputError(
            f"no row for {', '.join(absent)}: every carer-supply figure is needed",
            file=f"{path} sheet 'carer_supply'",
        )
    try:
        supply = CarerSupply(**supply_values)
    except ConfigError as err:
        failed = next((n for n in SUPPLY_FIGURES if f".{n} " in f"{err} "), "")
        raise InputError(
            f"{err}",
            file=f"{path} sheet 'carer_supply'",
            row=supply_rows.get(failed),
            column="value",
        ) from None

    weekly: dict[str, float] = {}
    inflation: dict[str, float] = {}
    spread: dict[str, float] = {}
    cost_rows: dict[str, int] = {}
    for row, cells in rows("unit_costs", ("placement", "weekly_cost_gbp", "inflation_per_year")):
        placement = str(cells["placement"] or "").strip()
        if placement not in space.placement_names:
            raise InputError(
                f"unknown placement {placement!r}: the placements are "
                f"{', '.join(space.placement_names)}",
                file=f"{path} sheet 'unit_costs'",
                row=row,
                column="placement",
            )
        if placement in weekly:
            raise InputError(
                f"{placement} is given twice (also row {cost_rows[placement]}): keep one",
                file=f"{path} sheet 'unit_costs'",
                row=row,
                column="placement",
            )
        cost_rows[placement] = row
        for column, target, what in (
            ("weekly_cost_gbp", weekly, "the weekly cost in pounds"),
            ("inflation_per_year", inflation, "the yearly inflation"),
            ("cost_cv", spread, "the spread of one child's cost (0 for none)"),
        ):
            value = cells.get(column)
            if column == "cost_cv" and value in (None, ""):
                value = 0.0
            target[placement] = number("unit_costs", row, column, value, what)
    absent = [p for p in space.placement_names if p not in weekly]
    if absent:
        raise InputError(
            f"no row for {', '.join(absent)}: every placement needs a weekly cost",
            file=f"{path} sheet 'unit_costs'",
        )
    prices = _price_base(path, rows("about", ("item", "value")))
    costs = UnitCosts(
        weekly_cost_gbp=weekly,
        price_base_financial_year=prices,
        # One number when every placement has the same inflation, as inputs.json keeps it.
        inflation_per_year=next(iter(inflation.values()))
        if len(set(inflation.values())) == 1
        else inflation,
        cost_cv={p: v for p, v in spread.items() if v},
    )
    if "cost_types" in sheets:
        costs = dataclasses.replace(costs, subtypes=_cost_types(path, rows, number, space))
    else:  # a workbook from before these sheets: keep the inputs' cost types
        costs = dataclasses.replace(costs, subtypes=inputs.costs.subtypes)
    if "high_cost_tiers" in sheets:
        costs = dataclasses.replace(costs, tails=_tiers(path, rows, number, space))
    else:
        costs = dataclasses.replace(costs, tails=inputs.costs.tails)
    try:
        costs.validate(space)
    except ConfigError as err:
        if str(err).startswith("cost sub-types of"):  # shares over 100%: the sheet's rows
            raise InputError(str(err), file=f"{path} sheet 'cost_types'") from None
        bad = next((p for p in weekly if f"[{p!r}]" in str(err)), None)
        raise InputError(
            str(err),
            file=f"{path} sheet 'unit_costs'",
            row=cost_rows.get(bad or ""),
        ) from None
    try:
        costs.tail_weekly_costs(space, [prices])
    except ConfigError as err:
        raise InputError(str(err), file=f"{path} sheet 'high_cost_tiers'") from None

    budget: dict[int, float] = {}
    budget_rows: dict[int, int] = {}
    for row, cells in rows("budget", ("financial_year", "placement_budget_gbp")):
        year = _financial_year(cells["financial_year"], path, row)
        if year in budget:
            raise InputError(
                f"{financial_year_label(year)} is given twice (also row {budget_rows[year]}): "
                "keep one",
                file=f"{path} sheet 'budget'",
                row=row,
                column="financial_year",
            )
        value = number(
            "budget", row, "placement_budget_gbp", cells["placement_budget_gbp"], "the budget"
        )
        if value < 0:
            raise InputError(
                f"{value:,.0f} is negative: a budget is pounds >= 0",
                file=f"{path} sheet 'budget'",
                row=row,
                column="placement_budget_gbp",
            )
        budget[year], budget_rows[year] = value, row
    if not budget:
        raise InputError(
            "no financial years: give the placement budget of every year forecast",
            file=f"{path} sheet 'budget'",
        )
    return dataclasses.replace(
        inputs,
        supply=supply,
        costs=costs,
        budget=Budget(budget),
        sources=(
            *inputs.sources,
            f"user-entered: carer supply, unit costs and budget from {path.name}",
        ),
        status={
            **inputs.status,
            **dict.fromkeys(
                ("carer_supply", "unit_costs", "cost_inflation", "budget"), "user-entered"
            ),
        },
    )


def _known_placement(placement: str, space: Any, where: str, row: int) -> None:
    if placement not in space.placement_names:
        raise InputError(
            f"unknown placement {placement!r}: the placements are "
            f"{', '.join(space.placement_names)}",
            file=where,
            row=row,
            column="placement",
        )


def _cost_types(path: Path, rows: Any, number: Any, space: Any) -> tuple[CostSubtype, ...]:
    """The ``cost_types`` sheet: a row per sub-type, or per sub-type and the year its share
    starts (``from_financial_year``)."""
    where = f"{path} sheet 'cost_types'"
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for row, cells in rows("cost_types", _TYPE_COLUMNS[:3]):
        placement = str(cells["placement"] or "").strip()
        _known_placement(placement, space, where, row)
        name = str(cells["cost_type"] or "").strip()
        share = number("cost_types", row, "share", cells["share"], "the share (0.1 = 10%)")
        year = cells.get("from_financial_year")
        entry = found.setdefault(
            (placement, name), {"row": row, "shares": {}, "placement": placement, "name": name}
        )
        key = None if year in (None, "") else _financial_year(year, path, row)
        if key in entry["shares"] or (
            entry["shares"] and (key is None) != (None in entry["shares"])
        ):
            raise InputError(
                f"{name} ({placement}) has its share given twice or both with and without a "
                f"year (also row {entry['row']}): one row per year it starts, or one row",
                file=where,
                row=row,
                column="from_financial_year",
            )
        entry["shares"][key] = share
        for column in ("weekly_cost_gbp", "uplift"):
            value = cells.get(column)
            if value not in (None, ""):
                entry[column] = number("cost_types", row, column, value, column.replace("_", " "))
        if cells.get("source"):
            entry["source"] = str(cells["source"])
    out = []
    for entry in found.values():
        shares = entry["shares"]
        try:
            out.append(
                CostSubtype(
                    entry["name"],
                    entry["placement"],
                    share=shares[None] if None in shares else shares,
                    weekly_cost_gbp=entry.get("weekly_cost_gbp"),
                    uplift=entry.get("uplift"),
                    source=entry.get("source", ""),
                )
            )
        except ConfigError as err:
            raise InputError(str(err), file=where, row=entry["row"]) from None
    return tuple(out)


def _tiers(path: Path, rows: Any, number: Any, space: Any) -> dict[str, CostTail]:
    """The ``high_cost_tiers`` sheet: a row per placement with a tier."""
    out: dict[str, CostTail] = {}
    for row, cells in rows("high_cost_tiers", _TIER_COLUMNS[:3]):
        placement = str(cells["placement"] or "").strip()
        _known_placement(placement, space, f"{path} sheet 'high_cost_tiers'", row)
        if placement in out:
            raise InputError(
                f"{placement} has two high-cost tiers: keep one row",
                file=f"{path} sheet 'high_cost_tiers'",
                row=row,
                column="placement",
            )
        values = {
            c: number("high_cost_tiers", row, c, cells[c], c.replace("_", " "))
            for c in ("share", "mean_weekly_cost_gbp")
        }
        cv = cells.get("cv")
        values["cv"] = 0.0 if cv in (None, "") else number("high_cost_tiers", row, "cv", cv, "cv")
        try:
            out[placement] = CostTail(**values, source=str(cells.get("source") or ""))
        except ConfigError as err:
            raise InputError(str(err), file=f"{path} sheet 'high_cost_tiers'", row=row) from None
    return out


#: The inputs a figures workbook replaces.
_ENTERED = ("carer_supply", "unit_costs", "cost_inflation", "budget")


def _financial_year(value: Any, path: Path, row: int) -> int:
    """'2024/25', '2024-25' or 2024 -> 2024."""
    text = str(value).strip() if value is not None else ""
    match = re.fullmatch(r"(\d{4})(?:\.0)?(?:\s*[/-]\s*(\d{2}|\d{4}))?", text)
    if match:
        year = int(match.group(1))
        end = match.group(2)
        if end is None or int(end[-2:]) == (year + 1) % 100:
            return year
    raise InputError(
        f"{value!r} is not a financial year: write it as 2024/25",
        file=f"{path} sheet 'budget'",
        row=row,
        column="financial_year",
    )


def _price_base(path: Path, rows: list[tuple[int, dict[str, Any]]]) -> int:
    for row, cells in rows:
        if str(cells.get("item") or "").strip() == _PRICES:
            text = str(cells.get("value") or "").strip()
            match = re.fullmatch(r"(\d{4})\s*[/-]\s*(\d{2})", text)
            if match and int(match.group(2)) == (int(match.group(1)) + 1) % 100:
                return int(match.group(1))
            raise InputError(
                f"{cells.get('value')!r} is not a financial year: write the year whose prices "
                "the unit costs are in as 2022/23",
                file=f"{path} sheet 'about'",
                row=row,
                column="value",
            )
    raise InputError(
        f"no row {_PRICES!r}: say which financial year's prices the unit costs are in",
        file=f"{path} sheet 'about'",
    )
