"""Plain-text and CSV tables of a forecast or scenario comparison (aggregates only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from placecast.scenario import Comparison


def _gbp_m(x: float) -> str:
    """Millions of pounds, sign first: -640000 -> '-£0.64m'."""
    return f"{'-' if x < 0 else ''}£{abs(x) / 1e6:,.2f}m"


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
    rows = []
    for fc in cmp.forecasts:
        over = fc.overspend_summary()
        cost = fc.total_cost
        for fy, r in over.iterrows():
            c = cost.sel(financial_year=fy)
            rows.append(
                {
                    "scenario": fc.name,
                    "year": f"{fy}/{str(fy + 1)[-2:]}",
                    "cost": f"{_gbp_m(float(c.mean()))} ({_gbp_m(float(c.quantile(0.05)))}–"
                    f"{_gbp_m(float(c.quantile(0.95)))})",
                    "budget": _gbp_m(r["budget"]),
                    "overspend": f"{_gbp_m(r['mean'])} ({_gbp_m(r['p05'])}–{_gbp_m(r['p95'])})",
                    "P(overspend)": f"{r['probability_of_overspend']:.0%}",
                }
            )
    lines.append(pd.DataFrame(rows).set_index(["scenario", "year"]).to_string())
    if cmp.scenarios:
        lines += ["", "Saving against baseline, after scenario costs (same random numbers)"]
        sav = cmp.savings_summary()
        text = sav.apply(
            lambda r: pd.Series(
                {
                    "mean": _gbp_m(r["mean"]),
                    "90% interval": f"{_gbp_m(r['p05'])} to {_gbp_m(r['p95'])}",
                    "P(saves money)": f"{r['probability_of_saving']:.0%}",
                }
            ),
            axis=1,
        )
        lines.append(text.to_string())
    return "\n".join(lines)


def write_comparison(cmp: Comparison, out_dir: str | Path) -> list[Path]:
    """Write tidy CSV tables of a comparison to ``out_dir``; returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "children_by_placement.csv": pd.concat(
            {fc.name: fc.children_summary(at="all") for fc in cmp.forecasts}, names=["scenario"]
        ),
        "spend_by_financial_year.csv": pd.concat(
            {fc.name: fc.spend_summary() for fc in cmp.forecasts}, names=["scenario"]
        ),
        "overspend_by_financial_year.csv": pd.concat(
            {fc.name: fc.overspend_summary() for fc in cmp.forecasts}, names=["scenario"]
        ),
        "scenario_table.csv": cmp.table().set_index(["scenario", "financial_year"]),
    }
    if cmp.scenarios:
        frames["savings_by_financial_year.csv"] = cmp.savings_summary()
        frames["break_even.csv"] = cmp.break_even().set_index(["scenario", "financial_year"])
    written = []
    for name, frame in frames.items():
        path = out / name
        frame.to_csv(path)
        written.append(path)
    return written
