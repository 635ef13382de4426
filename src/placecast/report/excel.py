"""An Excel workbook of a comparison: tidy sheets a finance officer can pivot (openpyxl)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from placecast.report.tables import inputs_tables, run_metadata, spreadsheet_safe, tidy_tables
from placecast.scenario.comparison import Comparison


def write_excel(cmp: Comparison, path: str | Path) -> Path:
    """Write ``cmp`` to an .xlsx workbook: an "about" sheet, one tidy sheet per result table and
    the inputs. Returns the path written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    about = pd.DataFrame(list(run_metadata(cmp).items()), columns=["item", "value"])
    sheets = {"about": about, **tidy_tables(cmp), **inputs_tables(cmp)}
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = name[:31]  # Excel's limit on sheet names
            spreadsheet_safe(frame).to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for column in ws.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
                ws.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    return path
