"""Month-by-month drivers of an engine run: what scenarios change over the horizon."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from placecast.errors import ConfigError
from placecast.rates import Rates
from placecast.supply import CarerSupply

__all__ = ["Drivers"]


@dataclass(frozen=True)
class Drivers:
    """Month-by-month drivers of a run (what scenarios change), each of length ``months``.

    Parameters
    ----------
    entry_multiplier
        Multiplier on the entry intensity each month (1 = as the rates say).
    approvals_per_year
        Carer households approved per year, by month.
    deregistration_rate_per_year
        Carer deregistration rate per year, by month.
    places_per_household
        Approved places per household, by month.
    lever_rates
        Rates that replace the council's rates from ``lever_from_month`` on (scenarios that
        change moves or placement choices); ``None`` keeps the council's rates throughout.
    lever_from_month
        First month (1 = the month after the stock date) ``lever_rates`` apply to.
    """

    entry_multiplier: np.ndarray
    approvals_per_year: np.ndarray
    deregistration_rate_per_year: np.ndarray
    places_per_household: np.ndarray
    lever_rates: Rates | None = None
    lever_from_month: int = 1
    months: int = field(init=False)

    def __post_init__(self) -> None:
        arrays = {
            name: np.asarray(getattr(self, name), dtype=float)
            for name in (
                "entry_multiplier",
                "approvals_per_year",
                "deregistration_rate_per_year",
                "places_per_household",
            )
        }
        lengths = {a.shape for a in arrays.values()}
        if len(lengths) != 1 or len(next(iter(lengths))) != 1:
            raise ConfigError(
                f"Drivers: every driver must be 1-D of the same length, got {lengths}"
            )
        for name, a in arrays.items():
            if not np.all(np.isfinite(a)) or (a < 0).any():
                raise ConfigError(f"Drivers.{name} must be finite and >= 0")
            object.__setattr__(self, name, a)
        object.__setattr__(self, "months", len(arrays["entry_multiplier"]))
        if not 1 <= self.lever_from_month <= self.months:
            raise ConfigError(
                f"Drivers.lever_from_month={self.lever_from_month} is outside months "
                f"1..{self.months}"
            )

    def shared_months(self, other: Drivers) -> int:
        """How many months, from month 1, drive both runs alike: the same entry multiplier,
        carer drivers and rates (a run's lever rates count from their first month; two runs'
        lever rates agree only if they are the same object from the same month)."""
        months = min(self.months, other.months)
        names = (
            "entry_multiplier",
            "approvals_per_year",
            "deregistration_rate_per_year",
            "places_per_household",
        )
        for name in names:
            differs = np.flatnonzero(getattr(self, name)[:months] != getattr(other, name)[:months])
            if differs.size:
                months = int(differs[0])
        same_levers = (
            self.lever_rates is other.lever_rates
            and self.lever_from_month == other.lever_from_month
        )
        if not same_levers:
            starts = [d.lever_from_month for d in (self, other) if d.lever_rates is not None]
            months = min([months, *(m - 1 for m in starts)])
        return months

    @classmethod
    def constant(cls, supply: CarerSupply, months: int) -> Drivers:
        """Drivers that hold the supply's rates and the entry intensity constant."""
        if months < 1:
            raise ConfigError(f"months must be >= 1, got {months}")
        ones = np.ones(months)
        return cls(
            entry_multiplier=ones,
            approvals_per_year=ones * supply.approvals_per_year,
            deregistration_rate_per_year=ones * supply.deregistration_rate_per_year,
            places_per_household=ones * supply.places_per_household,
        )
