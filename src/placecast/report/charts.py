"""Fan charts of children in care and spend (matplotlib; return the Axes for adjusting)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import xarray as xr
    from matplotlib.axes import Axes

    from placecast.forecast import Forecast

QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95]


def _fan(ax: Axes, x: Any, da: xr.DataArray, colour: str, label: str) -> None:
    q = da.quantile(QUANTILES, dim="path").values
    ax.fill_between(x, q[0], q[4], color=colour, alpha=0.15, linewidth=0)
    ax.fill_between(x, q[1], q[3], color=colour, alpha=0.3, linewidth=0)
    ax.plot(x, q[2], color=colour, label=f"{label} (median, 50% and 90% bands)")


def _axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    return ax


def _colours() -> list[str]:
    import matplotlib.pyplot as plt

    return list(plt.rcParams["axes.prop_cycle"].by_key()["color"])


def fan_chart(
    forecasts: list[Forecast],
    *,
    placement: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Median and 50% / 90% bands of children in care over time, one fan per forecast.

    Parameters
    ----------
    forecasts
        Forecasts to draw (e.g. ``comparison.forecasts``).
    placement
        A placement category, or ``None`` for all children in care.
    ax
        Axes to draw on; a new figure is made if omitted.
    """
    ax = _axes(ax)
    colours = _colours()
    for i, fc in enumerate(forecasts):
        da = fc.children_by_placement()
        da = da.sum("placement") if placement is None else da.sel(placement=placement)
        _fan(ax, pd.DatetimeIndex(da["date"].values), da, colours[i % len(colours)], fc.name)
    space = forecasts[0].inputs.space
    what = (
        "children in care"
        if placement is None
        else f"children in {space.placements[space.index(placement)].label.lower()}"
    )
    ax.set_title(f"{forecasts[0].inputs.name}: {what}")
    ax.set_ylabel("children")
    if placement is not None:
        ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def spend_chart(forecasts: list[Forecast], *, ax: Axes | None = None) -> Axes:
    """Total cost per financial year against budget: median and 50% / 90% bands per forecast."""
    ax = _axes(ax)
    colours = _colours()
    first = forecasts[0]
    years = first.total_cost["financial_year"].values
    x = np.arange(len(years))
    width = 0.8 / len(forecasts)
    for i, fc in enumerate(forecasts):
        q = fc.total_cost.quantile(QUANTILES, dim="path").values / 1e6
        pos = x - 0.4 + width * (i + 0.5)
        c = colours[i % len(colours)]
        ax.vlines(pos, q[0], q[4], color=c, alpha=0.35, linewidth=6)
        ax.vlines(pos, q[1], q[3], color=c, alpha=0.8, linewidth=6)
        ax.plot(pos, q[2], "o", color="white", markeredgecolor=c, label=f"{fc.name} (median)")
    budget = first.inputs.budget.as_dataarray(years).values / 1e6
    ax.step(
        np.r_[x - 0.5, x[-1] + 0.5],
        np.r_[budget, budget[-1]],
        where="post",
        color="black",
        linestyle="--",
        label="placement budget",
    )
    ax.set_xticks(x, [f"{y}/{str(y + 1)[-2:]}" for y in years])
    ax.set_ylabel("£ million")
    ax.set_title(f"{first.inputs.name}: placement cost by financial year (50% and 90% bands)")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(loc="upper left", fontsize="small")
    return ax
