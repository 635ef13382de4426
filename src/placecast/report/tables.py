"""Plain-text and CSV tables of a forecast or scenario comparison (aggregates only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import pandas as pd

from placecast.calendar import financial_year_label
from placecast.costs import CostSubtype, UnitCosts
from placecast.errors import is_number
from placecast.scenario.comparison import Comparison
from placecast.scenario.levers import Scenario
from placecast.scenario.rate_changes import RateChange
from placecast.summary import interval_summary

__all__ = [
    "about_table",
    "column_kind",
    "cost_and_overspend",
    "financial_year_label",
    "fit_caution",
    "fit_check_table",
    "fit_check_text",
    "fit_warning",
    "in_gbp",
    "inputs_tables",
    "placeholder_warning",
    "report_warnings",
    "run_metadata",
    "spreadsheet_safe",
    "tidy_tables",
    "write_comparison",
]


#: First characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell a spreadsheet could run as a formula (a scenario named
    ``=HYPERLINK(...)``) prefixed with an apostrophe, which shows it as the text it is; numbers
    and other text are unchanged."""

    def safe(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            try:
                float(value)  # "-0.5" is a number written as text, not a formula
            except ValueError:
                return "'" + value
        return value

    out = frame.copy()
    for column in out.columns:
        kind = out[column].dtype
        if pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind):
            out[column] = out[column].map(safe)
    out.columns = [safe(c) for c in out.columns]
    return out


def cost_and_overspend(cmp: Comparison) -> pd.DataFrame:
    """Total cost (placements and scenario costs), budget and overspend, by scenario and
    financial year: mean, 90% interval and the probability of overspending, in pounds."""
    frames = {}
    for fc in cmp.forecasts:
        cost = interval_summary(fc.total_cost.reset_coords(drop=True))
        over = fc.overspend_summary()
        frames[fc.name] = pd.concat(
            [
                cost[["mean", "p05", "p95"]].add_prefix("cost_"),
                over[["budget"]],
                over[["mean", "p05", "p95"]].add_prefix("overspend_"),
                over[["probability_of_overspend"]],
            ],
            axis=1,
        )
    return pd.concat(frames, names=["scenario"])


def summary_by_financial_year(cmp: Comparison) -> pd.DataFrame:
    """The table a budget paper copies: one row per financial year and scenario (baseline
    first within each year) with the cost (mean and 90% interval), budget, overspend (mean),
    the probability of overspending and, for scenarios other than the baseline, the saving
    against it (mean) and the probability of saving (empty for the baseline)."""
    cost = cost_and_overspend(cmp).rename(columns={"budget": "budget_gbp"})
    cost = cost.rename(
        columns=lambda c: c if c.endswith("_gbp") or c.startswith("probability") else f"{c}_gbp"
    )
    columns = [
        "cost_mean_gbp",
        "cost_p05_gbp",
        "cost_p95_gbp",
        "budget_gbp",
        "overspend_mean_gbp",
        "probability_of_overspend",
    ]
    table = cost[columns]
    if cmp.scenarios:
        saved = cmp.savings_summary()[["mean", "probability_of_saving"]]
        table = table.join(saved.rename(columns={"mean": "saving_mean_gbp"}))
    order = {fc.name: k for k, fc in enumerate(cmp.forecasts)}
    table = table.reset_index()
    table = table.sort_values(
        ["financial_year", "scenario"], key=lambda c: c.map(order) if c.name == "scenario" else c
    )
    return _labelled_years(table[["financial_year", "scenario", *table.columns[2:]]]).reset_index(
        drop=True
    )


#: Interval columns of the summaries (:func:`placecast.summary.interval_summary`).
_STATS = ("mean", "p05", "p25", "median", "p75", "p95")


#: Columns holding a rate from :meth:`placecast.rates.Rates.summary` (its unit beside it).
_RATES = ("rate_mean", "rate_p05", "rate_p95")

#: Columns holding a rate or share a year, shown as percentages.
_SHARES = ("inflation_per_year", "unusable_place_share")


def column_kind(name: str) -> str | None:
    """What a table column holds, by its name, for the formats of the Excel and HTML reports:
    ``"gbp"`` (pounds), ``"probability"``, ``"share"`` (a rate a year), ``"count"`` (a summary
    of numbers of children), ``"rate"`` (a model rate in the unit beside it) or ``None``."""
    if name.endswith("_gbp"):
        return "gbp"
    if name.startswith("probability"):
        return "probability"
    if name in _RATES:
        return "rate"
    if name in _STATS or name.endswith("_mean"):
        return "count"
    if name in _SHARES:
        return "share"
    return None


def in_gbp(frame: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Money columns named with their unit: ``mean`` -> ``<prefix>mean_gbp``."""
    return frame.rename(columns={c: f"{prefix}{c}_gbp" for c in _STATS if c in frame.columns})


def about_table(items: Mapping[str, object]) -> pd.DataFrame:
    """What was run, as the two-column table the reports open with (``item``, ``value``)."""
    return pd.DataFrame([(k, str(v)) for k, v in items.items()], columns=["item", "value"])


def _labelled_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Financial years as their label, "2022/23", in every table (sorts in time order)."""
    if "financial_year" in frame.columns and pd.api.types.is_numeric_dtype(frame["financial_year"]):
        frame = frame.assign(financial_year=frame["financial_year"].map(financial_year_label))
    return frame


def tidy_tables(cmp: Comparison) -> dict[str, pd.DataFrame]:
    """The comparison as tidy tables (one row per observation, one kind of row per table),
    keyed by table name; what the CSV files and the Excel sheets hold.

    Totals are tables of their own (``children_in_care_total``, ``spend_total_by_financial_year``)
    rather than rows inside a placement column, so a pivot of a table never counts a total
    twice. Financial years are labelled "2022/23"; money columns end in ``_gbp``.
    """

    def tidy(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(frames, names=["scenario"]).reset_index()

    forecasts = cmp.forecasts
    children = tidy({fc.name: fc.children_summary(at="all") for fc in forecasts})
    spend = tidy({fc.name: fc.spend_summary() for fc in forecasts})
    is_child_total = children["placement"] == "total"
    is_spend_total = spend["placement"] == "total"
    spend = spend.rename(columns={"placement": "cost"})  # placements and scenario costs
    overspend = tidy({fc.name: fc.overspend_summary() for fc in forecasts})
    tables = {
        "children_by_placement": children.loc[~is_child_total].reset_index(drop=True),
        "children_in_care_total": children.loc[is_child_total]
        .drop(columns="placement")
        .reset_index(drop=True),
        "spend_by_financial_year": in_gbp(spend.loc[~is_spend_total]).reset_index(drop=True),
        "spend_total_by_financial_year": in_gbp(
            spend.loc[is_spend_total].drop(columns="cost")
        ).reset_index(drop=True),
        "overspend_by_financial_year": in_gbp(
            overspend.rename(columns={"budget": "budget_gbp"}), "overspend_"
        ),
        "scenario_table": cmp.table(),
    }
    if any(fc.inputs.costs.subtypes for fc in forecasts):
        by_type = tidy({fc.name: fc.spend_by_cost_type() for fc in forecasts})
        tables["spend_by_cost_type"] = in_gbp(by_type)
    sufficiency = tidy({fc.name: fc.sufficiency() for fc in forecasts})
    sufficiency["date"] = pd.to_datetime(sufficiency["date"]).dt.date
    tables["sufficiency"] = sufficiency
    if cmp.scenarios:
        tables["savings_by_financial_year"] = in_gbp(cmp.savings_summary().reset_index(), "saving_")
        tables["break_even"] = cmp.break_even()
    return {name: _labelled_years(frame) for name, frame in tables.items()}


def sufficiency_by_year(cmp: Comparison) -> pd.DataFrame:
    """The baseline's sufficiency for all ages as a reader scans it: a row per need, supply or
    gap, a column per 31 March, each cell the median and 90% interval ("152 (131-170)")."""
    table = cmp.baseline.sufficiency().xs("all ages", level="age_band").reset_index()
    table["cell"] = [
        f"{m:,.0f} ({lo:,.0f} to {hi:,.0f})"
        for m, lo, hi in zip(table["median"], table["p05"], table["p95"], strict=True)
    ]
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("31 March %Y")
    wide = table.pivot(index=["kind", "item"], columns="date", values="cell")
    order = list(dict.fromkeys(zip(table["kind"], table["item"], strict=True)))
    return wide.reindex(order).reset_index().rename_axis(columns=None)


def _lever_value(value: object) -> object:
    """A lever's value as a spreadsheet should hold it: numbers as numbers, tables as text,
    rate changes as their one-line descriptions."""
    described = (RateChange, CostSubtype)
    if isinstance(value, tuple) and value and all(isinstance(v, described) for v in value):
        return "; ".join(v.describe() for v in value)
    return value if is_number(value) else str(value)


def inputs_tables(cmp: Comparison) -> dict[str, pd.DataFrame]:
    """The inputs behind a comparison, for the record: each input's status (published, fitted,
    assumed, placeholder, ...), the stock, unit costs, carer supply and budget, the scenario
    levers, the rates used (means and 90% intervals over the draws) and, for inputs from a
    fit, its check rule by rule."""
    inputs = cmp.baseline.inputs
    space = inputs.space
    costs = pd.DataFrame(
        {
            "weekly_cost_gbp": [inputs.costs.weekly_cost_gbp[p] for p in space.placement_names],
            "inflation_per_year": [inputs.costs.inflation(p) for p in space.placement_names],
            "cost_cv": [inputs.costs.cost_cv.get(p, 0.0) for p in space.placement_names],
        },
        index=pd.Index(space.placement_names, name="placement"),
    ).reset_index()
    if inputs.costs.subtypes:  # the cost above is then that of placements of no sub-type
        base = inputs.costs.price_base_financial_year
        average = inputs.costs.weekly_cost(space, [base]).isel(financial_year=0).values
        costs.insert(2, f"average_with_cost_types_{base}_gbp", average)
    supply = pd.DataFrame(
        [
            {"input": k, "value": getattr(inputs.supply, k)}
            for k in (
                "households",
                "places_per_household",
                "approvals_per_year",
                "deregistration_rate_per_year",
                "unusable_place_share",
            )
        ]
    )
    budget = pd.DataFrame(
        [
            (financial_year_label(int(y)), v)
            for y, v in sorted(inputs.budget.placement_budget_gbp.items())
        ],
        columns=["financial_year", "placement_budget_gbp"],
    )
    levers = pd.DataFrame(
        [
            {
                "scenario": fc.name,
                "lever": f.name,
                "value": _lever_value(getattr(fc.scenario, f.name)),
            }
            for fc in cmp.scenarios
            if isinstance(fc.scenario, Scenario)  # another object with apply has no levers to list
            for f in fields(fc.scenario)
            if f.name != "name" and getattr(fc.scenario, f.name) != f.default
        ],
        columns=["scenario", "lever", "value"],
    )
    stock = inputs.initial.by_band().reset_index().rename_axis(columns=None)
    types = cost_types_table(inputs.costs)
    return {
        "inputs_status": inputs.status_table(),
        "inputs_stock": stock,
        "inputs_unit_costs": costs,
        **({} if types is None else {"inputs_cost_types": types}),
        "inputs_carer_supply": supply,
        "inputs_budget": budget,
        "scenario_levers": levers,
        "rates_used": inputs.rates.summary(),
        **({} if (check := fit_check_table(cmp)) is None else {"fit_diagnostics": check}),
    }


def cost_types_table(costs: UnitCosts) -> pd.DataFrame | None:
    """The council's cost sub-types and high-cost tiers, one row each with its source, or
    ``None`` when it has none."""
    rows = [
        {
            "placement": t.placement,
            "cost_type": t.name,
            "share_of_child_weeks": t.share_text(),
            "weekly_cost": (
                f"£{t.weekly_cost_gbp:,.0f}"
                if t.weekly_cost_gbp is not None
                else f"{t.uplift:+.0%} on the {t.placement} cost"
            ),
            "source": t.source or t.label,
        }
        for t in costs.subtypes
    ]
    rows += [
        {
            "placement": placement,
            "cost_type": "high-cost tier (within the average)",
            "share_of_child_weeks": f"{tail.share:.1%}",
            "weekly_cost": f"£{tail.mean_weekly_cost_gbp:,.0f} (CV {tail.cv:g})",
            "source": tail.source,
        }
        for placement, tail in costs.tails.items()
    ]
    return pd.DataFrame(rows) if rows else None


def fit_check_table(cmp: Comparison) -> pd.DataFrame | None:
    """The check of the fit behind the inputs, rule by rule (:meth:`FitCheck.table`), or
    ``None`` for inputs not fitted."""
    from placecast.fit.quality import FitCheck

    check = cmp.baseline.inputs.fit_check
    if check is None:
        return None
    known = {k: v for k, v in check.items() if k not in ("passed", "summary")}
    return FitCheck.from_dict(known).table()


def run_metadata(cmp: Comparison) -> dict[str, str]:
    """What a budget paper needs to cite the forecast."""
    from datetime import date

    from placecast._version import __version__

    base = cmp.baseline
    meta = {
        "council": base.inputs.name,
        "stock date": str(pd.Timestamp(base.data["date"].values[0]).date()),
        "horizon": f"{base.data.sizes['month'] - 1} months",
        "simulated paths": str(base.data.sizes["path"]),
        "seed": str(base.data.attrs.get("seed")),
        "placecast version": __version__,
        "run date": str(base.data.attrs.get("run_date", "not recorded")),
        "run time (UTC)": str(base.data.attrs.get("run_time", "not recorded")),
        "report date": date.today().isoformat(),
        "command": str(base.data.attrs.get("command", "not recorded (run from Python)")),
        "inputs SHA-256": str(base.data.attrs.get("inputs_sha256", "not recorded")),
        **(
            {"scenarios file (TOML)": str(base.data.attrs["scenarios_toml"])}
            if "scenarios_toml" in base.data.attrs
            else {}
        ),
        "data sources": "; ".join(base.inputs.sources) or "not recorded",
        "fit check": fit_check_text(cmp) or "not from a fit (inputs given, not fitted here)",
    }
    warnings = report_warnings(cmp)
    if not warnings:
        return meta
    # Named by the most serious (each text says its own kind): a passed fit's caution alone is
    # not a warning.
    label = "WARNING" if any(w.startswith("WARNING") for w in warnings) else "CAUTION"
    return {label: " ".join(warnings), **meta}


def fit_check_text(cmp: Comparison) -> str | None:
    """What the check of the fit behind the inputs found, or ``None`` for inputs not fitted."""
    check = cmp.baseline.inputs.fit_check
    return None if check is None else str(check.get("summary", check))


def fit_warning(cmp: Comparison) -> str | None:
    """A warning in words when the inputs come from a fit that failed its check, else None."""
    check = cmp.baseline.inputs.fit_check
    if check is None or check.get("passed", True):
        return None
    return (
        "WARNING: these inputs come from a fit that failed placecast's check ("
        + "; ".join(check.get("problems", []))
        + "). Its rates may be wrong: do not use this forecast for a budget paper until the "
        "council is fitted again with more tuning and draws."
    )


def fit_caution(cmp: Comparison) -> str | None:
    """What the fit's check asks a reader to know although the fit passed (its ``cautions``,
    e.g. rates resting on one year of flows), in words, else None."""
    check = cmp.baseline.inputs.fit_check
    cautions = [] if check is None else list(check.get("cautions", []))
    if not cautions:
        return None
    return "CAUTION: " + "; ".join(cautions) + "."


def report_warnings(cmp: Comparison) -> list[str]:
    """Every warning a report shows above its results, most serious first: a failed fit check,
    the fit's cautions, placeholder inputs."""
    return [w for w in (fit_warning(cmp), fit_caution(cmp), placeholder_warning(cmp)) if w]


def placeholder_warning(cmp: Comparison) -> str | None:
    """A warning in words when some inputs are placeholders (a fit's stand-in carer supply,
    unit costs or budget), else None."""
    status = cmp.baseline.inputs.status
    stand_ins = [item.replace("_", " ") for item, s in status.items() if s == "placeholder"]
    if not stand_ins:
        return None
    return (
        f"WARNING: {', '.join(stand_ins)} are placeholders, not this council's figures: the "
        "costs, budget and overspend are illustrations until they are entered (placecast init "
        "writes a workbook for them; placecast forecast or compare --figures reads it)."
    )


def write_comparison(
    cmp: Comparison, out_dir: str | Path, tables: Mapping[str, pd.DataFrame] | None = None
) -> list[Path]:
    """Write the tidy tables of a comparison as CSV files to ``out_dir``; returns the files.
    ``tables``: :func:`tidy_tables` of ``cmp`` when already made (the workbook uses them too)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (tidy_tables(cmp) if tables is None else tables).items():
        path = out / f"{name}.csv"
        spreadsheet_safe(frame).to_csv(path, index=False)
        written.append(path)
    return written
