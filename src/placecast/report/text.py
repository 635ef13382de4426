"""Text for people: money in millions, and the summary a finance officer reads in a terminal."""

from __future__ import annotations

import pandas as pd

from placecast.calendar import financial_year_label
from placecast.report.tables import cost_and_overspend, fit_warning, placeholder_warning
from placecast.scenario.comparison import Comparison

__all__ = ["comparison_text", "gbp_m"]


def gbp_m(x: float) -> str:
    """Millions of pounds, sign first: -640000 -> '-£0.64m'."""
    return f"{'-' if x < 0 else ''}£{abs(x) / 1e6:,.2f}m"


def comparison_text(cmp: Comparison) -> str:
    """A summary a finance officer can read in a terminal or paste into an email."""
    base = cmp.baseline
    warnings = [w for w in (fit_warning(cmp), placeholder_warning(cmp)) if w]
    lines = [
        *(f"{w}\n" for w in warnings),
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
                if r["levers"] == "on"
                else dict.fromkeys(["mean", "90% interval", "P(saves money)"], "not started")
            ),
            axis=1,
        )
        text = text.rename(index=financial_year_label, level="financial_year")  # as above
        text = text.rename_axis(index={"financial_year": "year"})
        lines.append(text.to_string())
    return "\n".join(lines)
