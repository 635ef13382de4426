"""Fan charts of children in care and spend (matplotlib; return the Axes for adjusting)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from placecast.forecast import Forecast


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
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, fc in enumerate(forecasts):
        da = fc.children_by_placement()
        da = da.sum("placement") if placement is None else da.sel(placement=placement)
        q = da.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="path").values
        dates = pd.DatetimeIndex(da["date"].values)
        c = colours[i % len(colours)]
        ax.fill_between(dates, q[0], q[4], color=c, alpha=0.15, linewidth=0)
        ax.fill_between(dates, q[1], q[3], color=c, alpha=0.3, linewidth=0)
        ax.plot(dates, q[2], color=c, label=f"{fc.name} (median, 50% and 90% bands)")
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
    ax.legend(loc="upper left")
    return ax
