"""Reports: summary tables for the terminal and CSV, and fan charts."""

from placecast.report.charts import fan_chart
from placecast.report.tables import comparison_text, write_comparison

__all__ = ["comparison_text", "fan_chart", "write_comparison"]
