"""Every file a run writes, decided in one place: tables, workbook, charts, report, results."""

from __future__ import annotations

from pathlib import Path

from placecast.folders import written_folder
from placecast.report.charts import comparison_charts
from placecast.report.excel import write_excel
from placecast.report.html import png_bytes, write_html
from placecast.report.tables import run_metadata, tidy_tables, write_comparison
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
        tables = tidy_tables(cmp)  # once, for the CSV files and the workbook
        written = write_comparison(cmp, staging, tables)
        written.append(write_excel(cmp, staging / "report.xlsx", tables))
        if charts:
            drawn = comparison_charts(cmp)
            pngs = {}
            for stem, fig in drawn:
                # Encoded once: the same PNG is the file and the HTML report's image.
                pngs[stem] = png_bytes(fig)
                (staging / f"{stem}.png").write_bytes(pngs[stem])
                fig.savefig(staging / f"{stem}.svg", bbox_inches="tight")
                written += [staging / f"{stem}.png", staging / f"{stem}.svg"]
            written.append(write_html(cmp, staging / "report.html", charts=drawn, pngs=pngs))
        if results:
            written.append(save_comparison(cmp, staging / "results"))
    return [out / p.relative_to(staging) for p in written]
