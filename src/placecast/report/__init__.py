"""Reports: summary tables, text, CSV, Excel and HTML output, and charts.

:func:`~placecast.report.outputs.write_all` decides which files a run writes.
"""

from placecast.report.charts import (
    backtest_chart,
    comparison_charts,
    fan_chart,
    fan_panels,
    recruitment_chart,
    savings_chart,
    spend_chart,
    sufficiency_chart,
)
from placecast.report.excel import write_excel
from placecast.report.html import write_html
from placecast.report.outputs import write_all
from placecast.report.tables import tidy_tables, write_comparison
from placecast.report.text import comparison_text

__all__ = [
    "backtest_chart",
    "comparison_charts",
    "comparison_text",
    "fan_chart",
    "fan_panels",
    "recruitment_chart",
    "savings_chart",
    "spend_chart",
    "sufficiency_chart",
    "tidy_tables",
    "write_all",
    "write_comparison",
    "write_excel",
    "write_html",
]
