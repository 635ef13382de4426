"""Every council at once: per-council jobs on Dask, and regional or national totals.

``run_batch`` runs a job (:class:`FitJob`, :class:`ForecastJob`, :class:`CompareJob`,
:class:`BacktestJob`) for each council on a Dask ``LocalCluster`` or an existing scheduler,
storing each finished council so a rerun resumes; ``regional_totals`` sums a batch forecast's
councils path by path by DfE region, a cooperative's list or England; ``write_totals`` writes
the totals' tables, Excel workbook and HTML page.
"""

from placecast.batch.jobs import BacktestJob, CompareJob, FitJob, ForecastJob
from placecast.batch.reports import write_totals
from placecast.batch.runner import BatchResult, council_seed, resolve_councils, run_batch
from placecast.batch.totals import PAIRING, RegionalTotals, regional_totals

__all__ = [
    "PAIRING",
    "BacktestJob",
    "BatchResult",
    "CompareJob",
    "FitJob",
    "ForecastJob",
    "RegionalTotals",
    "council_seed",
    "regional_totals",
    "resolve_councils",
    "run_batch",
    "write_totals",
]
