"""Reports: summary tables, CSV, Excel and HTML output, and fan charts."""

from placecast.report.charts import backtest_chart, fan_chart, spend_chart
from placecast.report.excel import write_excel
from placecast.report.html import write_html
from placecast.report.tables import comparison_text, tidy_tables, write_comparison

__all__ = [
    "backtest_chart",
    "comparison_text",
    "fan_chart",
    "spend_chart",
    "tidy_tables",
    "write_comparison",
    "write_excel",
    "write_html",
]
