"""Every file a run writes, decided in one place: tables, workbook, charts, report, results."""

from __future__ import annotations

from pathlib import Path

from placecast.folders import written_folder
from placecast.report.charts import comparison_charts
from placecast.report.excel import write_excel
from placecast.report.html import write_html
from placecast.report.tables import run_metadata, write_comparison
from placecast.results import save_comparison
from placecast.scenario.comparison import Comparison

__all__ = ["write_all"]


def write_all(
    cmp: Comparison, out: str | Path, *, charts: bool = True, results: bool = True
) -> list[Path]:
    """Write a comparison's outputs to the folder ``out``; returns the files and folders written.

    Parameters
    ----------
    cmp
        The comparison (a forecast is a comparison with no scenarios).
    out
        Output folder, created if needed. Written whole or not at all
        (:func:`placecast.folders.written_folder`): the previous run's files are replaced,
        none survives stale, and ``placecast-manifest.json`` lists every file last.
    charts
        Also write the charts (PNG for documents, SVG for print and the web) and the HTML report.
    results
        Also save the comparison itself to ``out/results`` (for ``placecast report``).
    """
    out = Path(out)
    about = dict(run_metadata(cmp))
    if results:  # the inputs as run; their SHA-256s are in the manifest's files
        about["inputs"] = "results/inputs.json, results/inputs.nc"
    with written_folder(out, about) as staging:
        written = write_comparison(cmp, staging)
        written.append(write_excel(cmp, staging / "report.xlsx"))
        if charts:
            drawn = comparison_charts(cmp)
            for stem, fig in drawn:
                for suffix in ("png", "svg"):
                    fig.savefig(staging / f"{stem}.{suffix}", dpi=120, bbox_inches="tight")
                    written.append(staging / f"{stem}.{suffix}")
            written.append(write_html(cmp, staging / "report.html", charts=drawn))
        if results:
            written.append(save_comparison(cmp, staging / "results"))
    return [out / p.relative_to(staging) for p in written]
