"""How accurate forecasts like this one have been: the rolling backtest's evidence, for reports.

A forecast from a council fitted to DfE's published tables (``placecast fit-published``, and
the embedded default) is the kind the all-council rolling backtest scored: every council fitted
to 31 March of each year 2017-2021 and scored on what DfE published later, one to three years
ahead (``benchmarks/bench_rolling.py``; ``docs/published-statistics.md``). Its table by measure
and horizon ships with the package (``fit_accuracy.json``, written by
``python benchmarks/tables.py <run> --ship``) so that every report can say, beside its intervals,
how often such intervals held the outcome and whether such forecasts beat carrying the last
value forward. Inputs not from that fit (SSDA903 fits, figures entered by hand) get no table:
the evidence is not about them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

__all__ = [
    "COVERAGE_CAUTION",
    "FIT_ACCURACY_FILE",
    "PATHS_ONLY",
    "accuracy_evidence",
    "accuracy_note",
    "accuracy_table",
    "accuracy_warning",
    "applies",
]

#: The shipped evidence, next to this module.
FIT_ACCURACY_FILE = "fit_accuracy.json"
#: 90% intervals that held the outcome less often than this are named in the caution: more
#: than 5 points short, the tolerance the accuracy target allows (issue 21).
COVERAGE_CAUTION = 0.85

#: Measures in a reader's words, in the backtest's order.
_MEASURES = {
    "children_in_care": "children in care at 31 March",
    "fostering": "in fostering (every kind) at 31 March",
    "residential_semi_independent": "residential and semi-independent at 31 March",
    "starts": "children starting care in the year",
    "ceases": "children leaving care in the year",
}
#: The same, short, for sentences.
_SHORT = {
    "children_in_care": "children in care",
    "fostering": "fostering",
    "residential_semi_independent": "residential and semi-independent",
    "starts": "starts",
    "ceases": "ceases",
}


@cache
def accuracy_evidence() -> dict[str, Any]:
    """The shipped evidence: ``run`` (the benchmark run's name), ``source`` (what it was, in
    words), ``recorded`` and ``rows`` (one per measure and horizon, as the run's
    ``by_horizon.csv``)."""
    text = resources.files("placecast.report").joinpath(FIT_ACCURACY_FILE).read_text("utf-8")
    return dict(json.loads(text))


def applies(fit_check: Mapping[str, Any] | None) -> bool:
    """Whether the evidence is about inputs with this fit check: a fit of DfE's published
    tables (``AggregateModel``), not an SSDA903 fit or figures entered by hand."""
    return fit_check is not None and str(fit_check.get("model", "")).startswith("AggregateModel")


def _rows() -> pd.DataFrame:
    """The evidence's rows for the measures reports name, in the backtest's order."""
    rows = pd.DataFrame(accuracy_evidence()["rows"])
    rows = rows[rows["measure"].isin(list(_MEASURES))]
    return rows.assign(order=rows["measure"].map(list(_MEASURES).index)).sort_values(
        ["order", "horizon"]
    )


def _of_the_report(rows: pd.DataFrame, column: str) -> str:
    """``column`` for the intervals a report shows: its paths' own (``_paths``) where the
    evidence holds them (runs since 2026-12-07), else the backtest's published forecast's
    (wider)."""
    return f"{column}_paths" if "coverage_90_paths" in rows else column


def _coverage(rows: pd.DataFrame, level: int) -> pd.Series:
    """The coverage of the intervals a report shows (:func:`_of_the_report`)."""
    return rows[_of_the_report(rows, f"coverage_{level}")]


def _miss_side(rows: pd.DataFrame) -> pd.Series:
    """Per row, which way the outcomes outside the 90% interval mostly fell: ``"below"`` or
    ``"above"`` (at least twice as many one way as the other), else ``""``; ``""`` too for
    evidence that does not say (shipped before 2026-12-07)."""
    below, above = _of_the_report(rows, "below_90"), _of_the_report(rows, "above_90")
    if below not in rows or above not in rows:
        return pd.Series("", index=rows.index)
    return pd.Series(
        [
            "below" if b >= 2 * a and b > 0 else "above" if a >= 2 * b and a > 0 else ""
            for b, a in zip(rows[below], rows[above], strict=True)
        ],
        index=rows.index,
    )


def _verdict(row: pd.Series, baseline: str) -> str:
    """Placecast against a baseline: better or worse only where the gap's 90% bootstrap
    interval over councils leaves out zero."""
    low, high = row[f"gap_{baseline}_q05"], row[f"gap_{baseline}_q95"]
    return "better" if high < 0 else "WORSE" if low > 0 else "no clear difference"


def _against(row: pd.Series, baseline: str) -> str:
    """:func:`_verdict` in words, with both errors."""
    mine, theirs = row["median_mase_placecast"], row[f"median_mase_{baseline}"]
    return f"{_verdict(row, baseline)} (error {mine:.2f} against {theirs:.2f})"


def accuracy_table(fit_check: Mapping[str, Any] | None) -> pd.DataFrame | None:
    """For inputs from a fit of DfE's published tables: by measure and years ahead, how often
    the backtest's 90% and 50% intervals held what DfE then published (intervals made as a
    report's are, where the evidence holds them), and how its forecasts'
    errors compared with carrying the last value forward and with a straight-line trend (median
    over councils of the mean absolute scaled error; "better" or "WORSE" only beyond the noise
    between councils). ``None`` for other inputs.

    Examples
    --------
    >>> t = accuracy_table({"model": "AggregateModel (Leeds, to 2022)"})
    >>> list(t.columns)[:3]
    ['measure', 'years ahead', '90% interval held the outcome']
    >>> accuracy_table({"model": "EpisodeModel"}) is None
    True
    """
    if not applies(fit_check):
        return None
    rows = _rows()
    return pd.DataFrame(
        {
            "measure": rows["measure"].map(_MEASURES),
            "years ahead": rows["horizon"].astype(int),
            "90% interval held the outcome": _coverage(rows, 90).map("{:.0%}".format),
            "50% interval held the outcome": _coverage(rows, 50).map("{:.0%}".format),
            "against carrying the last value forward": [
                _against(r, "last_value") for _, r in rows.iterrows()
            ],
            "against a straight-line trend": [
                _against(r, "linear_trend") for _, r in rows.iterrows()
            ],
            "councils": rows["councils"].astype(int),
        }
    ).reset_index(drop=True)


def accuracy_warning(fit_check: Mapping[str, Any] | None) -> str | None:
    """In words, where such forecasts did worse than carrying the last value forward, and
    which 90% intervals held the outcome less than 85% of the time (and, where the evidence
    is of the backtest's wider intervals, that the report's are narrower); ``None`` if nowhere
    (or the evidence is not about these inputs).
    """
    if not applies(fit_check):
        return None
    rows = _rows()
    worse = rows[[_verdict(r, "last_value") == "WORSE" for _, r in rows.iterrows()]]
    short = rows[_coverage(rows, 90) < COVERAGE_CAUTION]
    parts = []
    if len(worse):
        parts.append(
            "On the backtest of every council, forecasts like this one did worse than carrying "
            f"the last value forward for {_cells(worse)}."
        )
    if len(short):
        way = _miss_side(short)
        groups = [
            _cells(short[way == side]) + said
            for side, said in (
                ("below", " (the outcome mostly below the interval: fewer than forecast)"),
                ("above", " (the outcome mostly above the interval: more than forecast)"),
                ("", ""),
            )
            if (way == side).any()
        ]
        parts.append(
            f"Their 90% intervals held the outcome less than {COVERAGE_CAUTION:.0%} of the time "
            f"for {'; '.join(groups)}."
        )
        if "coverage_90_paths" not in rows:
            parts.append("This forecast's own intervals are narrower than those.")
    return " ".join(parts) or None


def _cells(rows: pd.DataFrame) -> str:
    """Measure and horizon cells in words: 'fostering 2 and 3 years ahead; starts 3 years
    ahead'."""
    said = []
    for measure in _SHORT:
        years = sorted(int(h) for h in rows.loc[rows["measure"] == measure, "horizon"])
        if years:
            ahead = " and ".join(str(y) for y in years)
            said.append(f"{_SHORT[measure]} {ahead} year{'s' if years != [1] else ''} ahead")
    return "; ".join(said)


#: The backtest scored intervals of what DfE publishes; a report shows the paths' own.
PATHS_ONLY = (
    "The backtest's intervals are of the figures DfE publishes: the simulated paths plus the "
    "published counts' own scatter around the model, as fitted. This report's intervals are "
    "the paths alone, so they are narrower (one year ahead by up to a quarter for children in "
    "care, fostering and residential and semi-independent placements, by a few per cent for "
    "starts and ceases) and hold the outcome less often than this table says."
)


def accuracy_note() -> str:
    """What the accuracy table is, in a few sentences, with the run it comes from, and which
    intervals its coverage is of: the report's kind where the evidence holds it, else the
    backtest's wider ones, said in words (:data:`PATHS_ONLY`; measured by
    ``benchmarks/published_noise.py``)."""
    evidence = accuracy_evidence()
    own = "coverage_90_paths" in _rows()
    return (
        f"{evidence['source']} (benchmark run {evidence['run']}, recorded {evidence['recorded']}). "
        "Error: the median over councils of the mean absolute scaled error (each error over "
        "the council's mean year-on-year change in the fitted years: 1 is an error as large as "
        "a typical year's change); better or WORSE only where the difference lies beyond the "
        "noise between councils (90% bootstrap interval). "
        + (
            "Coverage: of intervals made as this report's are (the simulated paths alone)."
            if own
            else PATHS_ONLY
        )
    )
