"""Text for people: money in millions, and the summary a finance officer reads in a terminal."""

from __future__ import annotations

import pandas as pd

from placecast.report.accuracy import accuracy_warning
from placecast.report.tables import report_warnings
from placecast.scenario.comparison import Comparison
from placecast.summary import gbp_m

__all__ = ["comparison_text", "gbp_m"]


def comparison_text(cmp: Comparison) -> str:
    """A summary a finance officer can read in a terminal or paste into an email."""
    base = cmp.baseline
    warnings = report_warnings(cmp)
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
    table = cmp.summary().rename_axis(index={"financial_year": "year"})

    def with_interval(what: str) -> pd.Series:
        return table[what] + " (" + table[f"{what} 90% interval"].str.replace(" to ", "–") + ")"

    money = pd.DataFrame(
        {
            "cost": with_interval("cost"),
            "budget": table["budget"],
            "overspend": with_interval("overspend"),
            "P(overspend)": table["P(overspend)"],
        }
    )
    lines.append(money.to_string())
    if cmp.scenarios:
        lines += ["", "Saving against baseline, after scenario costs (same random numbers)"]
        saving = table.loc[[fc.name for fc in cmp.scenarios]]
        saving = saving[["saving", "saving 90% interval", "P(saves money)"]]
        saving.columns = ["mean", "90% interval", "P(saves money)"]
        lines.append(saving.to_string())
    caution = accuracy_warning(base.inputs.fit_check)  # fits of DfE's tables only
    if caution:
        lines += [
            "",
            f"Out of sample: {caution} (The report's 'How accurate such forecasts have "
            "been' has the table.)",
        ]
    return "\n".join(lines)
