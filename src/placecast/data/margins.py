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

    Rows are rounded by largest remainder; then single children are moved, within a row, from a
    column over its total to one under it, choosing the move that departs least from ``table``
    and never filling a cell the table holds at zero.
    """
    out = np.floor(table).astype(int)
    for i in range(table.shape[0]):
        short = int(rows[i] - out[i].sum())
        order = np.argsort(-(table[i] - out[i]), kind="stable")
        out[i, order[:short]] += 1
    for _ in range(int(np.abs(cols - out.sum(axis=0)).sum())):
        gap = cols - out.sum(axis=0)
        if not gap.any():
            break
        over, under = int(np.argmin(gap)), int(np.argmax(gap))
        cost = (out[:, over] - table[:, over]) - (out[:, under] - table[:, under])
        cost[(out[:, over] == 0) | (table[:, under] <= 0)] = -np.inf
        i = int(np.argmax(cost))
        out[i, over] -= 1
        out[i, under] += 1
    return out
