"""Regional totals written as a finance officer reads them: CSV tables, an Excel workbook and
an HTML page, each with its councils and how their paths were paired."""

from __future__ import annotations

from pathlib import Path

from placecast.batch.totals import RegionalTotals
from placecast.report.excel import write_sheets
from placecast.report.html import write_tables_html
from placecast.report.tables import about_table, in_gbp

__all__ = ["write_totals"]


def write_totals(totals: RegionalTotals, out: str | Path, about: dict[str, object]) -> Path:
    """Write ``totals`` to ``out``: ``totals.xlsx``, ``totals.html`` and a CSV per table.

    ``about`` says what was run (the batch, its settings); the pairing of councils' paths is
    added to it. Returns the folder.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "children": totals.children(),
        "children_by_placement": totals.children_by_placement(),
        "cost": totals.cost(),
        "overspend": totals.overspend(),
        "savings": totals.savings(),
    }
    money = {"cost", "overspend", "savings"}
    tables = {
        # Pounds say so in their column names, so the workbook and page format them as £.
        name: (in_gbp(frame) if name in money else frame).reset_index()
        for name, frame in tables.items()
        if not frame.empty
    }
    tables["councils"] = totals.councils
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    items = {
        **about,
        "groups": ", ".join(map(str, totals.paths["group"].values)),
        "pairing of councils' paths": totals.pairing,
    }
    write_sheets({"about": about_table(items), **tables}, out / "totals.xlsx")
    write_tables_html("placecast regional totals", items, tables, out / "totals.html")
    return out
