"""Joint tables from published margins: iterative proportional fitting and whole-number rounding.

Published statistics give children in care by placement and, separately, by age band; the model
starts from the joint table. These helpers build it from a prior pattern and round it to whole
children without breaking either margin.
"""

from __future__ import annotations

import numpy as np


def ipf(prior: np.ndarray, rows: np.ndarray, cols: np.ndarray, iterations: int = 200) -> np.ndarray:
    """Iterative proportional fitting of ``prior`` to row and column totals.

    Examples
    --------
    >>> t = ipf(np.ones((2, 2)), np.array([3.0, 1.0]), np.array([2.0, 2.0]))
    >>> t.sum(axis=1).round(6).tolist(), t.sum(axis=0).round(6).tolist()
    ([3.0, 1.0], [2.0, 2.0])
    """
    table = prior.astype(float).copy()
    for _ in range(iterations):
        with np.errstate(invalid="ignore", divide="ignore"):
            table *= np.nan_to_num(rows / table.sum(axis=1))[:, None]
            table *= np.nan_to_num(cols / table.sum(axis=0))[None, :]
    return table


def round_preserving(table: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Round to whole numbers keeping both row and column totals.

    The whole table closest to ``table`` (least total absolute change) with row sums ``rows``
    and column sums ``cols``, never filling a cell the table holds at zero: a small integer
    programme (scipy's HiGHS). A cell goes to its floor or ceiling when the totals allow it,
    further only when they force it. Moving single children between cells, as an earlier
    version did, can get stuck where only a chain of moves keeps the totals, and then wrote a
    negative count (Rutland at 31 March 2022).

    Raises
    ------
    ValueError
        When no whole table has those totals within the table's non-zero cells (the totals
        disagree, or a row or column with a positive total has no cell to hold it).

    Examples
    --------
    >>> round_preserving(np.array([[0.6, 0.4], [0.4, 0.6]]), np.array([1, 1]), np.array([1, 1]))
    array([[1, 0],
           [0, 1]])
    """
    # Here, not at import: scipy.optimize is a quarter of placecast's start-up.
    from scipy.optimize import Bounds, LinearConstraint, milp

    table = np.asarray(table, dtype=float)
    rows, cols = np.asarray(rows), np.asarray(cols)
    n_rows, n_cols = table.shape
    cells = np.flatnonzero(table.ravel() > 0)
    floor = np.floor(table.ravel()[cells])
    frac = table.ravel()[cells] - floor
    n = cells.size
    # Each cell is floor + up - down + beyond: ``up`` in [0, 1] costs 1 - 2 * frac (the change
    # from the floor to the ceiling); ``down`` (below the floor) and ``beyond`` (past the
    # ceiling) cost 1 a child. A tiny tie-break by position keeps the answer deterministic.
    cost = np.concatenate([1 - 2 * frac, np.ones(n), np.ones(n)]) + 1e-9 * np.tile(np.arange(n), 3)
    row_of, col_of = np.divmod(cells, n_cols)
    margin = np.zeros((n_rows + n_cols, n))
    margin[row_of, np.arange(n)] = 1
    margin[n_rows + col_of, np.arange(n)] = 1
    a = np.hstack([margin, -margin, margin])
    target = np.concatenate([rows, cols]).astype(float) - margin @ floor
    upper = np.concatenate([np.ones(n), floor, np.full(n, np.inf)])
    solved = milp(
        cost,
        constraints=LinearConstraint(a, target, target),
        integrality=np.ones(3 * n),
        bounds=Bounds(np.zeros(3 * n), upper),
    )
    if not solved.success:
        raise ValueError(
            f"no whole table has row totals {rows.tolist()} and column totals {cols.tolist()} "
            "within the table's non-zero cells"
        )
    up, down, beyond = np.round(solved.x).reshape(3, n)
    out = np.zeros(table.size, dtype=int)
    out[cells] = (floor + up - down + beyond).astype(int)
    return out.reshape(table.shape)
