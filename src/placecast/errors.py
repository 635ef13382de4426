"""One exception family for everything placecast refuses to do.

Messages say *where* the problem is (file, row, column or configuration field) and *how to fix it*.
They never contain child identifiers beyond what is needed to locate a bad row.
"""

from __future__ import annotations

import numpy as np


class PlacecastError(Exception):
    """Base class of every error placecast raises on purpose."""


class ConfigError(PlacecastError, ValueError):
    """A configuration object (rates, supply, costs, scenario, ...) is invalid."""


class InputError(PlacecastError, ValueError):
    """An input file or table is malformed.

    Parameters
    ----------
    message
        What is wrong and how to fix it.
    file, row, column
        Where the problem is. ``row`` is the 1-based line number in the file (header = line 1)
        when reading files, or the 0-based index label for in-memory tables.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column = file, row, column
        where = ", ".join(
            part
            for part in (
                f"file {file}" if file is not None else "",
                f"row {row}" if row is not None else "",
                f"column {column!r}" if column is not None else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


def is_number(value: object) -> bool:
    """A real number for a setting or a cell: not a flag (``True`` would be taken as 1) nor
    text (``"10"``, ``"£1,050"``). The checks that refuse what is not say what was expected."""
    return not isinstance(value, bool) and isinstance(value, int | float | np.number)
