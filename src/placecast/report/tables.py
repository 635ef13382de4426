"""Plain-text and CSV tables of a forecast or scenario comparison (aggregates only)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pandas as pd

from placecast.costs import interval_summary
from placecast.scenario import Comparison


def gbp_m(x: float) -> str:
    """Millions of pounds, sign first: -640000 -> '-£0.64m'."""
    return f"{'-' if x < 0 else ''}£{abs(x) / 1e6:,.2f}m"


def financial_year_label(year: int) -> str:
    """The financial year starting in April of ``year``: 2024 -> '2024/25'."""
    return f"{year}/{str(year + 1)[-2:]}"


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


def comparison_text(cmp: Comparison) -> str:
    """A summary a finance officer can read in a terminal or paste into an email."""
    base = cmp.baseline
    lines = [
        f"placecast forecast — {base.inputs.name}",
        f"{base.data.sizes['path']} simulated paths, seed {base.data.attrs.get('seed')}, "
        f"stock date {pd.Timestamp(base.data['date'].values[0]).date()}",
        "",
        "Children in care at 31 March (baseline; mean and 90% interval)",
    ]
    children = base.children_summary()
    wide = children.apply(
        lambda r: f"{r['mean']:.0f} ({r['p05']:.0f}–{r['p95']:.0f})", axis=1
    ).unstack("placement")
    wide.index = [pd.Timestamp(d).strftime("%Y") for d in wide.index]
    lines.append(wide.to_string())
    lines += ["", "Placement cost and overspend by financial year (mean; 90% interval)"]
    money = cost_and_overspend(cmp)
    text = pd.DataFrame(
        {
            "cost": [
                f"{gbp_m(m)} ({gbp_m(lo)}–{gbp_m(hi)})"
                for m, lo, hi in money[["cost_mean", "cost_p05", "cost_p95"]].to_numpy()
            ],
            "budget": money["budget"].map(gbp_m).to_numpy(),
            "overspend": [
                f"{gbp_m(m)} ({gbp_m(lo)}–{gbp_m(hi)})"
                for m, lo, hi in money[
                    ["overspend_mean", "overspend_p05", "overspend_p95"]
                ].to_numpy()
            ],
            "P(overspend)": money["probability_of_overspend"].map("{:.0%}".format).to_numpy(),
        },
        index=pd.MultiIndex.from_arrays(
            [
                money.index.get_level_values("scenario"),
                money.index.get_level_values("financial_year").map(financial_year_label),
            ],
            names=["scenario", "year"],
        ),
    )
    lines.append(text.to_string())
    if cmp.scenarios:
        lines += ["", "Saving against baseline, after scenario costs (same random numbers)"]
        sav = cmp.savings_summary()
        text = sav.apply(
            lambda r: pd.Series(
                {
                    "mean": gbp_m(r["mean"]),
                    "90% interval": f"{gbp_m(r['p05'])} to {gbp_m(r['p95'])}",
                    "P(saves money)": f"{r['probability_of_saving']:.0%}",
                }
            ),
            axis=1,
        )
        text = text.rename(index=financial_year_label, level="financial_year")  # as above
        text = text.rename_axis(index={"financial_year": "year"})
        lines.append(text.to_string())
    return "\n".join(lines)


def tidy_tables(cmp: Comparison) -> dict[str, pd.DataFrame]:
    """The comparison as tidy tables (one row per observation), keyed by table name.

    These are what the CSV files, the Excel sheets and the HTML report show.
    """

    def tidy(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        return pd.concat(frames, names=["scenario"]).reset_index()

    forecasts = cmp.forecasts
    tables = {
        "children_by_placement": tidy({fc.name: fc.children_summary(at="all") for fc in forecasts}),
        "spend_by_financial_year": tidy({fc.name: fc.spend_summary() for fc in forecasts}),
        "overspend_by_financial_year": tidy({fc.name: fc.overspend_summary() for fc in forecasts}),
        "scenario_table": cmp.table(),
    }
    if cmp.scenarios:
        tables["savings_by_financial_year"] = cmp.savings_summary().reset_index()
        tables["break_even"] = cmp.break_even()
    return tables


def inputs_tables(cmp: Comparison) -> dict[str, pd.DataFrame]:
    """The inputs and scenario levers behind a comparison, for the record."""
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
        sorted(inputs.budget.placement_budget_gbp.items()),
        columns=["financial_year", "placement_budget_gbp"],
    )
    levers = pd.DataFrame(
        [
            {"scenario": fc.name, "lever": f.name, "value": str(getattr(fc.scenario, f.name))}
            for fc in cmp.scenarios
            if fc.scenario is not None
            for f in fields(fc.scenario)
            if f.name != "name" and getattr(fc.scenario, f.name) != f.default
        ],
        columns=["scenario", "lever", "value"],
    )
    stock = inputs.initial.by_band().reset_index()
    return {
        "inputs_stock": stock,
        "inputs_unit_costs": costs,
        "inputs_carer_supply": supply,
        "inputs_budget": budget,
        "scenario_levers": levers,
    }


def run_metadata(cmp: Comparison) -> dict[str, str]:
    """What a budget paper needs to cite the forecast."""
    from datetime import date

    from placecast import __version__

    base = cmp.baseline
    return {
        "council": base.inputs.name,
        "stock date": str(pd.Timestamp(base.data["date"].values[0]).date()),
        "horizon": f"{base.data.sizes['month'] - 1} months",
        "simulated paths": str(base.data.sizes["path"]),
        "seed": str(base.data.attrs.get("seed")),
        "placecast version": __version__,
        "report date": date.today().isoformat(),
        "data sources": "; ".join(base.inputs.sources) or "not recorded",
    }


def write_comparison(cmp: Comparison, out_dir: str | Path) -> list[Path]:
    """Write the tidy tables of a comparison as CSV files to ``out_dir``; returns the files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tidy_tables(cmp).items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    return written
