"""Excel workbooks of a comparison and of a recruitment curve: tidy sheets a finance officer
can pivot (openpyxl)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from placecast.report.accuracy import accuracy_note, accuracy_table, accuracy_warning
from placecast.report.tables import (
    about_table,
    column_kind,
    inputs_tables,
    run_metadata,
    spreadsheet_safe,
    summary_by_financial_year,
    tidy_tables,
)
from placecast.scenario.comparison import Comparison


def write_excel(
    cmp: Comparison, path: str | Path, tables: Mapping[str, pd.DataFrame] | None = None
) -> Path:
    """Write ``cmp`` to an .xlsx workbook: an "about" sheet, a wide summary by financial year
    (cost, budget, overspend and saving per scenario), one tidy sheet per result table and the
    inputs. ``tables``: :func:`~placecast.report.tables.tidy_tables` of ``cmp`` when already
    made. Returns the path written."""
    about = pd.DataFrame(list(run_metadata(cmp).items()), columns=["item", "value"])
    sheets = {
        "about": about,
        "summary_by_financial_year": summary_by_financial_year(cmp),
        **(tidy_tables(cmp) if tables is None else tables),
        **inputs_tables(cmp),
    }
    check = cmp.baseline.inputs.fit_check
    accuracy = accuracy_table(check)
    if accuracy is not None:  # how such forecasts fared out of sample; what that is on "about"
        sheets["accuracy_out_of_sample"] = accuracy
        said = " ".join(t for t in (accuracy_note(), accuracy_warning(check)) if t)
        more = pd.DataFrame({"item": ["accuracy_out_of_sample (sheet)"], "value": [said]})
        sheets["about"] = pd.concat([about, more], ignore_index=True)
    return write_sheets(sheets, path)


def write_recruitment_excel(
    table: pd.DataFrame, about: dict[str, object], path: str | Path
) -> Path:
    """Write a recruitment curve (:meth:`~placecast.RecruitmentCurve.table`) to an .xlsx
    workbook: an "about" sheet (``about``: the council, settings and answers) and the curve,
    formatted as the comparison's sheets are. Returns the path written."""
    return write_sheets({"about": about_table(about), "recruitment_curve": table}, path)


def write_sheets(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write each frame to a sheet of its name: number formats by what a column holds, wrapped
    long text, frozen header, landscape printing one page wide, and an Excel Table (filters)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = name[:31]  # Excel's limit on sheet names
            safe = spreadsheet_safe(frame)
            safe.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            # Rows with text too long for a column wrap it; their cells all sit at the top so
            # the row still reads across. (Styling only those rows: styling every cell was
            # most of the workbook's time, and one-line rows look the same either way.)
            long_text = safe.map(lambda v: isinstance(v, str) and len(v) > _WIDEST).to_numpy()
            wrapped_rows = {int(i) + 2 for i in np.flatnonzero(long_text.any(axis=1))}
            for j, column in enumerate(ws.columns):
                fmt = _number_format(str(column[0].value), frame)
                for cell in column[1:]:
                    if fmt:
                        cell.number_format = fmt
                    if cell.row not in wrapped_rows:
                        continue
                    if long_text[cell.row - 2, j]:
                        cell.alignment = _WRAPPED
                        lines = -(-len(str(cell.value)) // (_WIDEST - 5))
                        height = ws.row_dimensions[cell.row].height or 15
                        ws.row_dimensions[cell.row].height = max(height, 15 * lines)
                    else:
                        cell.alignment = _TOP
                width = max(len(_shown(c.value)) for c in column)
                ws.column_dimensions[column[0].column_letter].width = min(
                    max(width + 2, 10), _WIDEST
                )
            # Printed (or as a PDF): landscape, every column on one page's width.
            ws.page_setup.orientation = "landscape"
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
            if len(frame) and len(frame.columns):
                # An Excel Table: filters on every column, banded rows, pivot-ready.
                ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
                table = Table(displayName=_table_name(name), ref=ref)
                table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
                ws.add_table(table)
    return path


#: Widest column (characters); longer text wraps within it.
_WIDEST = 60
_TOP = Alignment(vertical="top")
_WRAPPED = Alignment(wrap_text=True, vertical="top")


#: Excel number formats by :func:`~placecast.report.tables.column_kind`.
_FORMATS = {
    "gbp": "£#,##0;-£#,##0",
    "probability": "0%",
    "count": "#,##0.0",  # numbers of children: means of whole children
    "share": "0.0%",
    "rate": "#,##0.000",
}


def _number_format(header: str, frame: pd.DataFrame) -> str | None:
    """The Excel number format of a column, by what its name says it holds."""
    kind = column_kind(header)
    if kind is not None:
        return _FORMATS[kind]
    if header in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[header]):
        return "yyyy-mm-dd"
    return None


def _shown(value: object) -> str:
    """Roughly what a cell shows, for its column's width."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}"
    if hasattr(value, "date"):  # a timestamp shown as a date
        return "2022-03-31"
    return str(value)


def _table_name(sheet: str) -> str:
    """A valid, unique-per-workbook Excel Table name for a sheet."""
    return "t_" + "".join(c if c.isalnum() else "_" for c in sheet)
