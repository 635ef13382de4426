"""A self-contained HTML report a budget paper can cite: results, charts, inputs, provenance."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from placecast.report.accuracy import accuracy_note, accuracy_table, accuracy_warning
from placecast.report.charts import comparison_charts
from placecast.report.tables import (
    about_table,
    column_kind,
    inputs_tables,
    report_warnings,
    run_metadata,
    sufficiency_by_year,
)
from placecast.scenario.comparison import Comparison

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
.note { color: #555; font-size: .9em; } img { max-width: 100%; }
.warning { border: 2px solid #b00; background: #fee; padding: .6em; font-weight: bold; }
.caution { border: 2px solid #b80; background: #fff8e0; padding: .6em; }
table.provenance { width: 100%; table-layout: fixed; }
table.provenance td, table.provenance th {
  white-space: pre-wrap; overflow-wrap: anywhere; text-align: left;
}
table.provenance th:first-child, table.provenance td:first-child { width: 12em; }
table.words td, table.words th { white-space: normal; text-align: left; }
table.sufficiency td:nth-child(2), table.sufficiency th:nth-child(2) {
  white-space: normal; text-align: left; min-width: 14em;
}
"""

#: The method in a reader's words, in the report itself (it must read offline).
_METHODOLOGY = """
<p>Each simulated path follows every child in care month by month, by placement (in-house
fostering, friends and family fostering, independent fostering agency, residential,
semi-independent, other) and age in months. Each month a child may move placement or leave care
at rates that depend on the age band and placement, and everyone leaves at 18; new children
enter at a yearly rate. Rates come with their uncertainty: a fitted council's paths each use one
of the fit's posterior draws, so the intervals hold both the uncertainty about the rates and the
month-to-month chance of who moves when.</p>
<p>In-house fostering has a capacity: the usable places of the council's approved carer
households, which change with approvals and carers leaving. A child who would be placed in-house
when no place is free goes to an independent fostering agency instead, so recruiting carers moves
children from agency to in-house placements. Costs are each placement's weekly unit cost,
rising with the stated inflation (residential costs vary child by child), summed by financial
year and compared with the budget. Scenarios run on the same random numbers as the baseline,
so their differences come from the levers, not from chance.</p>
<p>The tables "Where each input comes from" and "Rates used" above say which numbers are
published, fitted, assumed or placeholders, and what rates the paths used.</p>
"""

#: Tables of words (statuses, checks) that wrap and read left to right.
_WORDS = ("inputs_status", "fit_diagnostics", "inputs_cost_types")


#: Headings of the inputs' tables where their names say less than a reader needs.
_HEADINGS = {
    "inputs_status": "Where each input comes from",
    "inputs_stock": "Starting stock",
    "inputs_unit_costs": "Unit costs",
    "inputs_cost_types": "Cost types within a placement category",
    "inputs_carer_supply": "In-house carer supply",
    "inputs_budget": "Placement budget",
    "scenario_levers": "Scenario levers",
    "rates_used": "Rates used (mean and 90% interval over the posterior draws)",
    "fit_diagnostics": "The fit's check",
}


def png_bytes(fig: Figure) -> bytes:
    """The chart as PNG, as the report embeds it and the run's files hold it (encoded once)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    return buf.getvalue()


def _png(fig: Figure, encoded: bytes | None = None) -> str:
    return base64.b64encode(png_bytes(fig) if encoded is None else encoded).decode("ascii")


def _chart_title(fig: Figure) -> str:
    """The title drawn on a chart: the figure's (small multiples) or its one panel's."""
    return fig.get_suptitle() or (fig.axes[0].get_title() if fig.axes else "")


def _titled(
    charts: list[tuple[str, Figure]], pngs: Mapping[str, bytes] | None = None
) -> list[tuple[str, str]]:
    """(heading, embedded PNG) per chart; the spend chart gets a shorter heading. ``pngs``:
    the charts already encoded, by stem."""
    return [
        (
            "Placement cost against budget" if stem == "spend" else _chart_title(fig),
            _png(fig, (pngs or {}).get(stem)),
        )
        for stem, fig in charts
    ]


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as a reader expects them: pounds with commas, rates as percentages (a budget
    showed as 19200000.0)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        kind = column_kind(str(column))
        if kind == "gbp":
            out[column] = values.map(_pounds)
        elif kind == "share":
            out[column] = values.map("{:.1%}".format)
        else:
            out[column] = values.map(_number)
    return out


def _pounds(value: float) -> str:
    """Whole pounds with the sign first: -1234.5 -> '-£1,235'."""
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def _number(value: float) -> str:
    """Three significant figures, without exponents: 10000 -> '10,000', 0.0526 -> '0.0526'."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _table(frame: pd.DataFrame, classes: str | None = None) -> str:
    return frame.to_html(index=False, border=0, escape=True, classes=classes)


def write_html(
    cmp: Comparison,
    path: str | Path,
    charts: list[tuple[str, Figure]] | None = None,
    pngs: Mapping[str, bytes] | None = None,
) -> Path:
    """Write a self-contained HTML report of ``cmp`` (charts embedded). Returns the path.

    ``charts`` are :func:`~placecast.report.charts.comparison_charts` already drawn (so a run
    that also writes them as files draws them once); by default they are drawn here. ``pngs``:
    those charts already encoded as PNG (:func:`png_bytes`), by stem, so none is encoded twice.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = run_metadata(cmp)
    summary = cmp.summary().reset_index().rename(columns={"financial_year": "financial year"})
    shown = ["scenario", "financial year", "cost", "cost 90% interval", "budget", "overspend"]
    results = summary[[*shown, "P(overspend)"]].rename(
        columns={"cost": "cost (mean)", "overspend": "overspend (mean)"}
    )
    parts = [
        f"<h1>placecast forecast: {html.escape(meta['council'])}</h1>",
        "<p class='note'>Children in care by placement type and placement spend against budget, "
        "simulated month by month with parameter and process uncertainty. Intervals are the "
        "middle 50% and 90% of simulated paths. <a href='#methodology'>How this forecast is "
        "made</a>.</p>",
        *(f"<p class='warning'>{html.escape(w)}</p>" for w in report_warnings(cmp)),
        "<h2>Provenance</h2>",
        # Long values (data sources) wrap: at 1,400 px they pushed the others out of sight.
        _table(pd.DataFrame(list(meta.items()), columns=["item", "value"]), "provenance"),
        "<h2>Cost, budget and overspend</h2>",
        _table(results),
    ]
    if cmp.scenarios:
        sav = summary.loc[
            summary["scenario"].isin([fc.name for fc in cmp.scenarios]),
            ["scenario", "financial year", "saving", "saving 90% interval", "P(saves money)"],
        ].rename(columns={"saving": "saving (mean)"})
        parts += [
            "<h2>Savings against the baseline</h2>",
            "<p class='note'>After scenario costs (e.g. recruitment), on common random numbers: "
            "each scenario sees the same simulated children, entries and carer supply noise as "
            "the baseline.</p>",
            _table(sav),
        ]
    parts += _accuracy_section(cmp)
    children = cmp.baseline.children_summary()
    children = children.reset_index()
    children["date"] = pd.to_datetime(children["date"]).dt.date
    children = children[["date", "placement", "mean", "p05", "p95"]].round(1)
    parts += ["<h2>Charts</h2>"]
    drawn = comparison_charts(cmp) if charts is None else charts
    for (title, png), (_, fig) in zip(_titled(drawn, pngs), drawn, strict=True):
        # A heading only where it says more than the chart's own title (shown once, not twice).
        own = _chart_title(fig)
        heading = "" if title == own else f"<h3>{html.escape(title)}</h3>"
        parts.append(f"{heading}<img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>")
    parts += ["<h2>Children in care at 31 March (baseline)</h2>", _table(children)]
    parts += [
        "<h2>Sufficiency at 31 March (baseline)</h2>",
        "<p class='note'>Places needed (children in each placement type), usable in-house "
        "foster places and the gaps between them: median and 90% interval over paths (each "
        "path's own gap). By age band in the Excel sheet <code>sufficiency</code>, with every "
        "scenario.</p>",
        _table(sufficiency_by_year(cmp), "sufficiency"),
    ]
    if cmp.baseline.inputs.costs.subtypes:
        parts += [
            "<h2>Spend by cost type (baseline)</h2>",
            "<p class='note'>Each placement's spend split by its cost types' shares and weekly "
            "costs (see the inputs' cost types below); median over paths. Intervals, and every "
            "scenario, in the Excel sheet <code>spend_by_cost_type</code>.</p>",
            _table(_spend_by_cost_type(cmp)),
        ]
    parts += ["<h2>Inputs and assumptions</h2>"]
    for name, frame in inputs_tables(cmp).items():
        heading = _HEADINGS.get(name, name.replace("_", " ").capitalize())
        classes = "words" if name in _WORDS else None
        parts += [f"<h3>{html.escape(heading)}</h3>", _table(_readable(frame), classes)]
    parts += [
        "<h2 id='methodology'>How this forecast is made</h2>",
        _METHODOLOGY,
        "<p class='note'>Aggregates only: no child-level data is used in or shown by this "
        "report. The full methodology, with its equations, is the placecast documentation's "
        "Methodology page (docs/methodology.md in the package's source).</p>",
    ]
    return _write_page(path, f"placecast: {meta['council']}", parts)


def _accuracy_section(cmp: Comparison) -> list[str]:
    """How accurate forecasts like this one have been out of sample (inputs from a fit of
    DfE's published tables only): the backtest's table, what it is, and a caution in words
    where such forecasts did worse than the last value or their intervals held too rarely."""
    table = accuracy_table(cmp.baseline.inputs.fit_check)
    if table is None:
        return []
    caution = accuracy_warning(cmp.baseline.inputs.fit_check)
    return [
        "<h2>How accurate such forecasts have been</h2>",
        f"<p class='note'>{html.escape(accuracy_note())}</p>",
        *([f"<p class='caution'>{html.escape(caution)}</p>"] if caution else []),
        _table(table, "words"),
    ]


def _spend_by_cost_type(cmp: Comparison) -> pd.DataFrame:
    """The baseline's median spend by cost type, a column per financial year, for categories
    that have sub-types."""
    table = cmp.baseline.spend_by_cost_type()["median"]
    split = {t.placement for t in cmp.baseline.inputs.costs.subtypes}
    table = table[table.index.get_level_values("placement").isin(split)]
    wide = table.unstack("financial_year").map(_pounds).reset_index()
    return wide.rename_axis(columns=None)


def write_recruitment_html(
    shown: pd.DataFrame, about: dict[str, object], chart: Figure, path: str | Path
) -> Path:
    """Write a self-contained HTML report of a recruitment curve: what was run and the answers
    (``about``), the curve's chart and its table as printed (``shown``). Returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    council = str(about.get("council", ""))
    items = about_table(about)
    parts = [
        f"<h1>placecast recruitment curve: {html.escape(council)}</h1>",
        "<p class='note'>Each candidate number of extra carer households approved a year is "
        "forecast on the same random numbers as no extra recruitment, so the differences come "
        "from the recruitment, not from chance. Savings are against no extra recruitment, "
        "summed over the forecast's financial years, after the cost of recruiting; intervals "
        "are the middle 90% of simulated paths.</p>",
        "<h2>What was run, and the answers</h2>",
        _table(items, "provenance"),
        "<h2>The curve</h2>",
        f"<img alt='{html.escape(_chart_title(chart))}' src='data:image/png;base64,{_png(chart)}'>",
        _table(shown),
        "<p class='note'>Aggregates only: no child-level data is used in or shown by this "
        "report.</p>",
    ]
    return _write_page(path, f"placecast recruit: {council}", parts)


def write_tables_html(
    title: str, about: dict[str, object], tables: dict[str, pd.DataFrame], path: str | Path
) -> Path:
    """Write a self-contained HTML page of tables: what was run (``about``), then each table
    under its name (underscores read as spaces), formatted as the reports' tables are."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    items = about_table(about)
    parts = [f"<h1>{html.escape(title)}</h1>", "<h2>What was run</h2>", _table(items, "provenance")]
    for name, frame in tables.items():
        heading = html.escape(name.replace("_", " ").capitalize())
        parts += [f"<h2>{heading}</h2>", _table(_readable(frame))]
    parts.append(
        "<p class='note'>Aggregates only: no child-level data is used in or shown by this "
        "report.</p>"
    )
    return _write_page(path, title, parts)


def _write_page(path: Path, title: str, parts: list[str]) -> Path:
    """One self-contained page (the report's style inline) of ``parts``, written to ``path``."""
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path
