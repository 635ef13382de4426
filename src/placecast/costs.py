"""Unit costs, inflation, financial years, budget and overspend.

Spend in a month is child-weeks in placement x weekly unit cost. Child-weeks are counted with the
trapezoid rule on the month-end stocks (the average of the stocks at the start and the end of the
month, times the days in the month / 7), so a child who arrives mid-month costs about half a month.
Unit costs are in the prices of ``price_base_financial_year`` and inflate once per financial year
(1 April - 31 March; year 2020 means 2020/21).

Cost types (:class:`CostSubtype`): a category's placements need not all cost the same. A
sub-type (in-house vs external residential, secure, registered supported accommodation,
parent-and-child, unaccompanied asylum-seeking children) is a share of the category's
child-weeks with its own weekly cost, or an uplift on the category's; the rest cost the
category's own weekly cost. A share may change by financial year (registered supported
accommodation from 2024/25), so the category's average weekly cost is the share-weighted mean
for each year.

Heavy-tailed costs are optional. With a coefficient of variation ``cv`` for the weekly cost of
one child, the year's spend on ``k`` child-years is drawn as a gamma variable with mean
``k x mean cost`` and variance ``k x (cv x mean cost)^2``, i.e. the sum of ``k`` independent
child-years. A high-cost tier (:class:`CostTail`: residential's bespoke packages of 10,000+ GBP
a week) adds the risk that matters most to a budget: how many such children there are. Of
``round(k)`` child-years each is in the tier with the tier's share (a binomial count); the tier
costs its own mean (with its own spread) and the rest cost what keeps the category's average
unchanged, so a tier moves the spread of spend, never its mean. Every draw is by inversion from
uniforms common to all scenarios on the same seed, so scenario differences stay tight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from placecast.calendar import financial_year_label
from placecast.errors import ConfigError, is_number
from placecast.states import StateSpace

DAYS_PER_WEEK = 7.0
WEEKS_PER_YEAR = 365.25 / 7.0


#: What each UnitCosts mapping holds, for messages.
_EXPECTED = {
    "weekly_cost_gbp": "pounds a week, e.g. 1050, without a £ sign or commas",
    "inflation_per_year": "a rate a year, e.g. 0.03 for 3%",
    "cost_cv": "a coefficient of variation, e.g. 0.5",
}


#: The cost type of a category's placements that belong to none of its sub-types.
STANDARD = "standard"


@dataclass(frozen=True)
class CostSubtype:
    """A kind of placement within a category with its own weekly cost.

    Parameters
    ----------
    name
        Identifier (``snake_case``), e.g. ``"secure"``; the same name may be a sub-type of
        several categories (``"uasc"`` in fostering and semi-independent).
    placement
        The category it belongs to, e.g. ``"residential"``.
    share
        Its share of the category's child-weeks, 0-1: one number for every year, or a mapping
        from financial year (2024 = 2024/25) to share, each share holding until the next year
        given and 0 before the first (registered supported accommodation from 2024/25).
    weekly_cost_gbp
        Its weekly cost per child in the prices of the costs' base year; or
    uplift
        instead, its cost as the category's own weekly cost times ``1 + uplift``
        (``0.15`` = 15% more).
    label, source
        For reports: what it is and where its figures come from.

    Examples
    --------
    >>> CostSubtype("secure", "residential", share=0.03, weekly_cost_gbp=6500).describe()
    'secure (residential): 3% of child-weeks at £6,500 a week'
    """

    name: str
    placement: str
    share: float | Mapping[int, float]
    weekly_cost_gbp: float | None = None
    uplift: float | None = None
    label: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        where = f"cost sub-type {self.name!r}"
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(
                f"cost sub-type name {self.name!r}: use a snake_case name, e.g. 'secure'"
            )
        if self.name == STANDARD:
            raise ConfigError(
                f"{where}: {STANDARD!r} is the name of the category's own placements; "
                "choose another"
            )
        shares = self.share.values() if isinstance(self.share, Mapping) else [self.share]
        for value in shares:
            if not is_number(value) or not 0.0 <= float(value) <= 1.0:
                raise ConfigError(
                    f"{where}: share {value!r} must be a number from 0 to 1 (0.1 = 10% of the "
                    f"{self.placement} child-weeks)"
                )
        if isinstance(self.share, Mapping):
            if not self.share:
                raise ConfigError(f"{where}: share by year is empty; give e.g. {{2024: 0.3}}")
            for year in self.share:
                if isinstance(year, bool) or not isinstance(year, int | np.integer):
                    raise ConfigError(
                        f"{where}: share years must be whole financial years (2024 = "
                        f"2024/25); got {year!r}"
                    )
        if (self.weekly_cost_gbp is None) == (self.uplift is None):
            raise ConfigError(
                f"{where}: give either weekly_cost_gbp (its own cost) or uplift (a share "
                "more than the category's cost), not both or neither"
            )
        if self.weekly_cost_gbp is not None and (
            not is_number(self.weekly_cost_gbp)
            or not np.isfinite(self.weekly_cost_gbp)
            or self.weekly_cost_gbp < 0
        ):
            raise ConfigError(
                f"{where}: weekly_cost_gbp must be pounds a week >= 0, without a £ sign or "
                f"commas; got {self.weekly_cost_gbp!r}"
            )
        if self.uplift is not None and (
            not is_number(self.uplift) or not np.isfinite(self.uplift) or self.uplift <= -1
        ):
            raise ConfigError(
                f"{where}: uplift must be a number above -1 (0.15 = 15% more than the "
                f"category's cost); got {self.uplift!r}"
            )

    def share_in(self, financial_years: Iterable[int]) -> np.ndarray:
        """The share in each financial year (a share by year holds until the next given)."""
        years = np.asarray(list(financial_years), dtype=int)
        if not isinstance(self.share, Mapping):
            return np.full(years.shape, float(self.share))
        given = sorted((int(y), float(v)) for y, v in self.share.items())
        starts = np.array([y for y, _ in given])
        values = np.array([0.0, *(v for _, v in given)])
        return values[np.searchsorted(starts, years, side="right")]

    def share_text(self) -> str:
        """The share as a reader writes it: "10%", or "30% from 2024/25, 60% from 2026/27"."""
        if isinstance(self.share, Mapping):
            return ", ".join(
                f"{v:.0%} from {financial_year_label(y)}" for y, v in sorted(self.share.items())
            )
        return f"{self.share:.0%}"

    def describe(self) -> str:
        """One line for reports."""
        share = self.share_text()
        cost = (
            f"£{self.weekly_cost_gbp:,.0f} a week"
            if self.weekly_cost_gbp is not None
            else f"the {self.placement} cost {self.uplift:+.0%}"
        )
        return f"{self.name} ({self.placement}): {share} of child-weeks at {cost}"

    def to_dict(self) -> dict[str, Any]:
        """For inputs.json (years as text keys, as JSON needs)."""
        out: dict[str, Any] = {"name": self.name, "placement": self.placement}
        out["share"] = (
            {str(y): float(v) for y, v in self.share.items()}
            if isinstance(self.share, Mapping)
            else float(self.share)
        )
        if self.weekly_cost_gbp is not None:
            out["weekly_cost_gbp"] = float(self.weekly_cost_gbp)
        if self.uplift is not None:
            out["uplift"] = float(self.uplift)
        return {**out, "label": self.label, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "") -> CostSubtype:
        """From :meth:`to_dict`'s form (years may be text, as in JSON); ``where`` prefixes
        any error (e.g. the scenario and lever it came from)."""
        try:
            return cls._from_dict(data)
        except ConfigError as err:
            if where:
                raise ConfigError(f"{where}: {err}") from None
            raise

    @classmethod
    def _from_dict(cls, data: Mapping[str, Any]) -> CostSubtype:
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"a cost sub-type must be a table of name, placement, share and weekly_cost_gbp "
                f"or uplift; got {data!r:.80}"
            )
        known = {"name", "placement", "share", "weekly_cost_gbp", "uplift", "label", "source"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(
                f"cost sub-type {data.get('name')!r}: unknown keys {unknown}; known: "
                f"{sorted(known)}"
            )
        share = data.get("share")
        if isinstance(share, Mapping):
            try:
                share = {int(y): v for y, v in share.items()}
            except ValueError:
                raise ConfigError(
                    f"cost sub-type {data.get('name')!r}: share years must be whole financial "
                    f'years, e.g. {{"2024": 0.3}}; got {sorted(share)}'
                ) from None
        try:
            return cls(**{**data, "share": share})
        except TypeError as err:  # a required key missing
            raise ConfigError(f"cost sub-type {data.get('name')!r}: {err}") from None


@dataclass(frozen=True)
class CostTail:
    """A high-cost tier within a category: a share of its child-years at a much higher cost.

    The category's average weekly cost stays as given (it already includes these placements):
    the other child-years cost what keeps it so. The tier adds the chance of having several
    such children in one year (see the module's notes).

    Parameters
    ----------
    share
        Share of the category's child-years in the tier, 0-1 (excluded).
    mean_weekly_cost_gbp
        The tier's average weekly cost, in the prices of the costs' base year.
    cv
        Coefficient of variation of one tier child's weekly cost (0 = all cost the mean).
    source
        Where the figures come from, for reports.

    Examples
    --------
    >>> t = CostTail.from_high_cost_list([12_450, 15_000, 23_362, 4_800], children=40)
    >>> round(t.share, 3), round(t.mean_weekly_cost_gbp)
    (0.075, 16937)
    """

    share: float
    mean_weekly_cost_gbp: float
    cv: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        if not is_number(self.share) or not 0.0 < self.share < 1.0:
            raise ConfigError(
                f"CostTail.share must be above 0 and below 1 (0.02 = 2% of the category's "
                f"child-years); got {self.share!r}"
            )
        if (
            not is_number(self.mean_weekly_cost_gbp)
            or not np.isfinite(self.mean_weekly_cost_gbp)
            or self.mean_weekly_cost_gbp <= 0
        ):
            raise ConfigError(
                "CostTail.mean_weekly_cost_gbp must be pounds a week above 0, without a £ sign "
                f"or commas; got {self.mean_weekly_cost_gbp!r}"
            )
        if not is_number(self.cv) or not np.isfinite(self.cv) or self.cv < 0:
            raise ConfigError(f"CostTail.cv must be a number >= 0, e.g. 0.3; got {self.cv!r}")

    @classmethod
    def from_high_cost_list(
        cls,
        weekly_costs: Iterable[float],
        *,
        children: int,
        threshold_gbp: float = 10_000.0,
        source: str = "",
    ) -> CostTail:
        """The tier from a council's own list of placement costs.

        Parameters
        ----------
        weekly_costs
            Weekly costs of the council's current placements in the category (all of them, or
            at least every one at or above ``threshold_gbp``), in the base year's prices.
        children
            How many children the category holds (the denominator of the share).
        threshold_gbp
            Where the tier starts (the LGA counts placements of 10,000+ GBP a week).
        """
        given = list(weekly_costs)
        bad = [c for c in given if not is_number(c) or not np.isfinite(c) or c < 0]
        if not given or bad:
            raise ConfigError(
                "high-cost list: give each placement's weekly cost in pounds (numbers >= 0, "
                f"without a £ sign or commas); got {bad[:3] or 'none'}"
            )
        costs = np.asarray(given, dtype=float)
        high = costs[costs >= threshold_gbp]
        if high.size == 0:
            raise ConfigError(
                f"high-cost list: no placement costs £{threshold_gbp:,.0f} a week or more; "
                "lower threshold_gbp or leave the tier out"
            )
        if isinstance(children, bool) or not isinstance(children, int | np.integer):
            raise ConfigError(f"high-cost list: children must be a whole number; got {children!r}")
        if children <= high.size:
            raise ConfigError(
                f"high-cost list: {high.size} placements at £{threshold_gbp:,.0f}+ a week "
                f"but children = {children}; give the number of children in the category"
            )
        cv = float(high.std(ddof=1) / high.mean()) if high.size > 1 else 0.0
        return cls(
            share=high.size / children,
            mean_weekly_cost_gbp=float(high.mean()),
            cv=cv,
            source=source
            or f"the council's high-cost list: {high.size} of {children} placements at "
            f"£{threshold_gbp:,.0f}+ a week",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "share": float(self.share),
            "mean_weekly_cost_gbp": float(self.mean_weekly_cost_gbp),
            "cv": float(self.cv),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CostTail:
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"a cost tail must be a table of share, mean_weekly_cost_gbp, cv; got {data!r:.80}"
            )
        try:
            return cls(**data)
        except TypeError as err:
            raise ConfigError(f"cost tail: {err}") from None


@dataclass(frozen=True)
class UnitCosts:
    """Weekly unit cost of one placement in each category.

    Parameters
    ----------
    weekly_cost_gbp
        Average weekly cost per child, by placement category, in prices of the base year.
    price_base_financial_year
        Financial year of the prices (2019 = 2019/20).
    inflation_per_year
        Yearly increase in unit costs, one number for all categories or one per category.
    cost_cv
        Coefficient of variation of one child's weekly cost, by category (0 or missing = every
        child costs the average). Used for residential's heavy tail.
    subtypes
        Cost sub-types (:class:`CostSubtype`); ``weekly_cost_gbp`` is then the cost of the
        category's placements outside its sub-types.
    tails
        A high-cost tier (:class:`CostTail`) by category.

    Examples
    --------
    >>> from placecast.states import StateSpace
    >>> c = UnitCosts({"in_house_fostering": 453, "friends_family_fostering": 453, "ifa": 927,
    ...                "residential": 3575, "semi_independent": 1208, "other": 0},
    ...               price_base_financial_year=2019, inflation_per_year=0.03)
    >>> round(float(c.weekly_cost(StateSpace(), [2020]).sel(placement="ifa")[0]), 2)
    954.81
    """

    weekly_cost_gbp: Mapping[str, float]
    price_base_financial_year: int = 2019
    inflation_per_year: float | Mapping[str, float] = 0.0
    cost_cv: Mapping[str, float] = field(default_factory=dict)
    subtypes: tuple[CostSubtype, ...] = ()
    tails: Mapping[str, CostTail] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Sub-types and tails as saved in inputs.json (tables) become their classes.
        subtypes = self.subtypes
        if not isinstance(subtypes, list | tuple):
            raise ConfigError(
                f"UnitCosts.subtypes must be a list of cost sub-types; got {subtypes!r:.80}"
            )
        object.__setattr__(
            self,
            "subtypes",
            tuple(t if isinstance(t, CostSubtype) else CostSubtype.from_dict(t) for t in subtypes),
        )
        if not isinstance(self.tails, Mapping):
            raise ConfigError(
                f"UnitCosts.tails must map categories to a high-cost tier; got {self.tails!r:.80}"
            )
        object.__setattr__(
            self,
            "tails",
            {
                p: t if isinstance(t, CostTail) else CostTail.from_dict(t)
                for p, t in self.tails.items()
            },
        )

    def validate(self, space: StateSpace) -> None:
        """Check that every category has a cost and every number is sensible."""
        names = set(space.placement_names)
        missing = names - set(self.weekly_cost_gbp)
        if missing:
            raise ConfigError(f"UnitCosts.weekly_cost_gbp: no cost for {sorted(missing)}")
        inflation = (
            self.inflation_per_year
            if isinstance(self.inflation_per_year, Mapping)
            else dict.fromkeys(names, self.inflation_per_year)
        )
        for field_name, mapping in (
            ("weekly_cost_gbp", self.weekly_cost_gbp),
            ("inflation_per_year", inflation),
            ("cost_cv", self.cost_cv),
        ):
            unknown = set(mapping) - names
            if unknown:
                raise ConfigError(
                    f"UnitCosts.{field_name}: unknown placements {sorted(unknown)}; "
                    f"known: {space.placement_names}"
                )
            for name, value in mapping.items():
                low = -1.0 if field_name == "inflation_per_year" else 0.0
                if not is_number(value):
                    raise ConfigError(
                        f"UnitCosts.{field_name}[{name!r}] must be a number "
                        f"({_EXPECTED[field_name]}); got {value!r}"
                    )
                if not np.isfinite(value) or value < low or (low < 0 and value <= low):
                    raise ConfigError(f"UnitCosts.{field_name}[{name!r}] = {value} is not valid")
        if isinstance(self.inflation_per_year, Mapping):
            no_rate = sorted(names - set(self.inflation_per_year))
            if no_rate:  # they used to get 0% a year without a word
                raise ConfigError(
                    f"UnitCosts.inflation_per_year: no rate for {no_rate}; give every placement "
                    "a rate a year (0 holds its prices) or one rate for all"
                )
        year = self.price_base_financial_year
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise ConfigError(
                "UnitCosts.price_base_financial_year must be a whole year, the year the prices' "
                f"financial year starts (2022 = 2022/23); got {year!r}"
            )
        self._validate_types(space)

    def _validate_types(self, space: StateSpace) -> None:
        """Sub-types and tails belong to known categories; shares fit in their category."""
        names = space.placement_names
        seen: set[tuple[str, str]] = set()
        for sub in self.subtypes:
            if sub.placement not in names:
                raise ConfigError(
                    f"cost sub-type {sub.name!r}: unknown placement {sub.placement!r}; known: "
                    f"{list(names)}"
                )
            if (sub.placement, sub.name) in seen:
                raise ConfigError(
                    f"cost sub-type {sub.name!r} is given twice for {sub.placement}; give it once"
                )
            seen.add((sub.placement, sub.name))
        for placement in names:
            mine = [t for t in self.subtypes if t.placement == placement]
            years = sorted(
                {self.price_base_financial_year}
                | {int(y) for t in mine if isinstance(t.share, Mapping) for y in t.share}
            )
            total = sum((t.share_in(years) for t in mine), np.zeros(len(years)))
            if (total > 1.0 + 1e-9).any():
                year = years[int(np.argmax(total))]
                raise ConfigError(
                    f"cost sub-types of {placement}: shares add up to {total.max():.0%} in "
                    f"{financial_year_label(year)}; they are shares of the category's "
                    "child-weeks and may add up to 100% at most"
                )
        for placement in self.tails:
            if placement not in names:
                raise ConfigError(
                    f"UnitCosts.tails: unknown placement {placement!r}; known: {list(names)}"
                )

    def cost_types(self, space: StateSpace) -> list[str]:
        """``"standard"`` then each sub-type name, in the order first given."""
        return [STANDARD, *dict.fromkeys(t.name for t in self.subtypes)]

    def weekly_cost_by_type(
        self, space: StateSpace, financial_years: object
    ) -> tuple[xr.DataArray, xr.DataArray]:
        """Weekly cost per child and share of child-weeks by (financial_year, placement,
        cost_type), inflated from the base year; ``"standard"`` holds the rest of each
        category. A cost type a category lacks has share 0."""
        self.validate(space)
        years = np.asarray(financial_years, dtype=int)
        factor = self._price_index(space, years)  # (year, placement)
        own = self._base_weekly_cost(space)[None, :] * factor
        types = self.cost_types(space)
        cost = np.repeat(own[:, :, None], len(types), axis=2)
        share = np.zeros_like(cost)
        for sub in self.subtypes:
            i, k = space.index(sub.placement), types.index(sub.name)
            share[:, i, k] = sub.share_in(years)
            cost[:, i, k] = (
                own[:, i] * (1.0 + sub.uplift)
                if sub.uplift is not None
                else sub.weekly_cost_gbp * factor[:, i]
            )
        share[:, :, 0] = 1.0 - share[:, :, 1:].sum(axis=2)
        coords = {
            "financial_year": years,
            "placement": list(space.placement_names),
            "cost_type": types,
        }
        dims = ("financial_year", "placement", "cost_type")
        return (
            xr.DataArray(cost, dims=dims, coords=coords, name="weekly_cost_gbp"),
            xr.DataArray(share, dims=dims, coords=coords, name="share_of_child_weeks"),
        )

    def _base_weekly_cost(self, space: StateSpace) -> np.ndarray:
        return np.array([self.weekly_cost_gbp[p] for p in space.placement_names], dtype=float)

    def _price_index(self, space: StateSpace, years: np.ndarray) -> np.ndarray:
        """Prices by (financial year, placement) relative to the base year's."""
        growth = np.array([1.0 + self.inflation(p) for p in space.placement_names])
        return growth[None, :] ** (years[:, None] - self.price_base_financial_year)

    def inflation(self, placement: str) -> float:
        if isinstance(self.inflation_per_year, Mapping):
            return float(self.inflation_per_year.get(placement, 0.0))
        return float(self.inflation_per_year)

    def weekly_cost(self, space: StateSpace, financial_years: object) -> xr.DataArray:
        """Average weekly cost per child by (financial_year, placement), inflated from the base
        year: the share-weighted mean over the category's cost types."""
        if not self.subtypes:
            self.validate(space)
            years = np.asarray(financial_years, dtype=int)
            return xr.DataArray(
                self._base_weekly_cost(space)[None, :] * self._price_index(space, years),
                dims=("financial_year", "placement"),
                coords={"financial_year": years, "placement": list(space.placement_names)},
                name="weekly_cost_gbp",
            )
        cost, share = self.weekly_cost_by_type(space, financial_years)
        return (cost * share).sum("cost_type").rename("weekly_cost_gbp")

    def tail_weekly_costs(
        self, space: StateSpace, financial_years: object
    ) -> dict[str, tuple[xr.DataArray, xr.DataArray]]:
        """For each category with a high-cost tier: the tier's and the other child-years'
        weekly costs by financial year (inflated like the category), so that their
        share-weighted mean is the category's average; refused where the tier alone would
        exceed that average."""
        average = self.weekly_cost(space, financial_years)
        index = self._price_index(space, average["financial_year"].values)
        out = {}
        for placement, tail in self.tails.items():
            mean = average.sel(placement=placement, drop=True)
            high = tail.mean_weekly_cost_gbp * xr.DataArray(
                index[:, space.index(placement)], coords=mean.coords, dims=mean.dims
            )
            rest = (mean - tail.share * high) / (1.0 - tail.share)
            if (rest <= 0).any():
                year = int(mean["financial_year"][int(np.argmin(rest.values))])
                raise ConfigError(
                    f"UnitCosts.tails[{placement!r}]: {tail.share:.1%} of child-years at "
                    f"£{float(high.sel(financial_year=year)):,.0f} a week cost more than the "
                    f"category's average (£{float(mean.sel(financial_year=year)):,.0f} in "
                    f"{financial_year_label(year)}), which includes them; raise "
                    f"weekly_cost_gbp[{placement!r}] to the average over all placements or "
                    "lower the tier's share"
                )
            out[placement] = (high.rename("tail"), rest.rename("rest"))
        return out


@dataclass(frozen=True)
class Budget:
    """Placement budget per financial year.

    Parameters
    ----------
    placement_budget_gbp
        Budget in GBP by financial year (2020 = 2020/21).
    """

    placement_budget_gbp: Mapping[int, float]

    def __post_init__(self) -> None:
        if not isinstance(self.placement_budget_gbp, Mapping):
            raise ConfigError(
                "Budget.placement_budget_gbp must map financial years to pounds, e.g. "
                f"{{2022: 19_200_000}}; got {self.placement_budget_gbp!r:.80}"
            )
        for year, value in self.placement_budget_gbp.items():
            if not is_number(value):
                raise ConfigError(
                    f"Budget.placement_budget_gbp[{year}] must be a number of pounds, e.g. "
                    f"19200000, without a £ sign or commas; got {value!r}"
                )
            if not np.isfinite(value) or value < 0:
                raise ConfigError(f"Budget.placement_budget_gbp[{year}] = {value} must be >= 0")

    def as_dataarray(self, financial_years: object) -> xr.DataArray:
        """Budget by financial year; a year with no budget raises a clear error."""
        years = [int(y) for y in np.asarray(financial_years)]
        missing = [y for y in years if y not in self.placement_budget_gbp]
        if missing:
            raise ConfigError(
                f"Budget: no placement budget for financial years {missing}; "
                f"budgets given for {sorted(self.placement_budget_gbp)}"
            )
        return xr.DataArray(
            [float(self.placement_budget_gbp[y]) for y in years],
            dims="financial_year",
            coords={"financial_year": years},
            name="placement_budget_gbp",
        )


def child_weeks(ds: xr.DataArray | xr.Dataset) -> xr.DataArray:
    """Child-weeks in placement during each month (month 0 = 0), by path and placement."""
    children = ds["children"] if isinstance(ds, xr.Dataset) else ds
    by_placement = children.sum("age_band")
    mean_stock = (by_placement + by_placement.shift(month=1)) / 2.0
    days = xr.DataArray(
        pd.DatetimeIndex(children["date"].values).days_in_month.to_numpy(), dims="month"
    )
    weeks = (mean_stock * days / DAYS_PER_WEEK).fillna(0.0)
    return weeks.rename("child_weeks")


def months_in_financial_year(ds: xr.Dataset) -> pd.Series:
    """How many forecast months (excluding month 0) fall in each financial year."""
    fy = ds["financial_year"].values[1:]
    return pd.Series(fy).value_counts().sort_index().rename("months")


def placement_spend(
    ds: xr.Dataset,
    costs: UnitCosts,
    space: StateSpace,
    *,
    seed: int | np.random.SeedSequence | None = None,
    complete_years_only: bool = True,
    own_home_beds: np.ndarray | None = None,
) -> xr.DataArray:
    """Spend on placements by (path, financial_year, placement), in GBP.

    Parameters
    ----------
    ds
        Output of :func:`placecast.simulate`.
    costs
        Unit costs.
    space
        The state space of ``ds``.
    seed
        Seed for per-child cost variation (only used for categories with ``cost_cv``).
        ``None`` uses average costs throughout.
    complete_years_only
        Drop financial years the forecast covers only in part.
    own_home_beds
        Beds in the council's own children's home by month (length ``months + 1``). Children
        in residential care fill them first and cost no external fee there (the home's running
        cost is a scenario cost, see :class:`placecast.Scenario`).
    """
    weeks = child_weeks(ds)
    if own_home_beds is not None:
        i = space.index("residential")
        days = pd.DatetimeIndex(ds["date"].values).days_in_month.to_numpy()
        res = weeks.isel(placement=i)
        at_home = np.minimum(res, xr.DataArray(own_home_beds * days / DAYS_PER_WEEK, dims="month"))
        weeks = weeks.copy()
        weeks[{"placement": i}] = res - at_home
    fy = ds["financial_year"]
    weekly = costs.weekly_cost(space, np.unique(fy.values))
    spend_month = weeks * weekly.sel(financial_year=fy).drop_vars("financial_year")
    order = ("path", "financial_year", "placement")
    spend = (
        spend_month.isel(month=slice(1, None))
        .groupby("financial_year")
        .sum("month")
        .transpose(*order)
    )
    if seed is not None and (costs.cost_cv or costs.tails):
        spend = _drawn_spend(spend, weeks, costs, space, seed)
    if complete_years_only:
        months = months_in_financial_year(ds)
        spend = spend.sel(financial_year=[y for y, m in months.items() if m == 12])
    spend = spend.rename("placement_spend_gbp")
    spend.attrs = {"units": "GBP", "description": "placement spend by financial year"}
    return spend


def _drawn_spend(
    spend: xr.DataArray,
    weeks: xr.DataArray,
    costs: UnitCosts,
    space: StateSpace,
    seed: int | np.random.SeedSequence,
) -> xr.DataArray:
    """Each (path, financial year, category)'s spend drawn around its mean: per-child spread
    (``cost_cv``) and a high-cost tier's count (``tails``); see the module's notes."""
    import scipy.stats  # here, not at import: it is half of placecast's start-up

    order = ("path", "financial_year", "placement")
    years_weeks = (
        weeks.isel(month=slice(1, None)).groupby("financial_year").sum("month").transpose(*order)
    )
    rng = np.random.default_rng(seed)
    u = rng.random(years_weeks.shape)
    # Drawn only with a tier, after u, so forecasts without one keep their numbers.
    u_count, u_tier = (rng.random(years_weeks.shape) for _ in range(2)) if costs.tails else (u, u)
    tiers = costs.tail_weekly_costs(space, spend["financial_year"].values) if costs.tails else {}
    spend = spend.copy()
    for name in space.placement_names:
        cv, tail = costs.cost_cv.get(name, 0.0), costs.tails.get(name)
        if cv <= 0 and tail is None:
            continue
        i = space.index(name)
        k = years_weeks.isel(placement=i).values / WEEKS_PER_YEAR  # child-years
        mean = spend.isel(placement=i).values
        if tail is None:
            spend.values[..., i] = _gamma_sum(scipy.stats, u[..., i], k, mean, cv)
            continue
        high, rest = (a.values[None, :] * WEEKS_PER_YEAR for a in tiers[name])  # per child-year
        # Children in the tier this year: of round(k) child-years, each with the tier's share.
        n = np.maximum(np.rint(k), 1.0)
        count = np.maximum(scipy.stats.binom.ppf(u_count[..., i], n, tail.share), 0.0)  # u=0: -1
        k_high = np.where(k > 0, k * count / n, 0.0)
        # Scaled so the mean spend stays the forecast's (cost by month, not by year's average).
        scale = np.divide(
            mean,
            k * (tail.share * high + (1 - tail.share) * rest),
            where=k > 0,
            out=np.zeros_like(mean),
        )
        spend.values[..., i] = _gamma_sum(
            scipy.stats, u_tier[..., i], k_high, k_high * high * scale, tail.cv
        ) + _gamma_sum(scipy.stats, u[..., i], k - k_high, (k - k_high) * rest * scale, cv)
    return spend


def _gamma_sum(stats: Any, u: np.ndarray, k: np.ndarray, mean: np.ndarray, cv: float) -> np.ndarray:
    """Spend on ``k`` child-years with total mean ``mean`` and per-child CV ``cv``, by inversion
    of ``u``: gamma(shape k/cv^2, scale (mean/k) cv^2), the sum of k child-years."""
    if cv <= 0:
        return np.where(k > 0, mean, 0.0)
    drawn = np.zeros_like(mean)
    pos = k > 0
    drawn[pos] = stats.gamma.ppf(u[pos], k[pos] / cv**2) * (mean[pos] / k[pos]) * cv**2
    return drawn


def spend_by_cost_type(spend: xr.DataArray, costs: UnitCosts, space: StateSpace) -> xr.DataArray:
    """Each path's placement spend split by cost type: by (path, financial_year, placement,
    cost_type), GBP.

    A category's spend is split in proportion to each type's share of child-weeks times its
    weekly cost, i.e. in expectation: a drawn high-cost tier is not told apart from the
    category's other placements. The types of a category add up to its spend.

    Examples
    --------
    >>> import placecast as pc
    >>> fc = pc.forecast(pc.hackney_2020(), months=24, paths=5)
    >>> costs = pc.UnitCosts({**fc.inputs.costs.weekly_cost_gbp}, subtypes=(
    ...     pc.CostSubtype("secure", "residential", share=0.1, weekly_cost_gbp=6000),))
    >>> split = spend_by_cost_type(fc.spend, costs, fc.inputs.space)
    >>> split["cost_type"].values.tolist()
    ['standard', 'secure']
    >>> bool(abs(split.sum("cost_type") - fc.spend).max() < 1e-6)
    True
    """
    cost, share = costs.weekly_cost_by_type(space, spend["financial_year"].values)
    weight = cost * share
    total = weight.sum("cost_type")
    fraction = (weight / total.where(total > 0)).fillna(0.0)
    fraction[{"cost_type": 0}] = fraction[{"cost_type": 0}].where(total > 0, 1.0)
    split = (spend * fraction).transpose("path", "financial_year", "placement", "cost_type")
    split = split.rename("placement_spend_gbp")
    split.attrs = {"units": "GBP", "description": "placement spend by cost type"}
    return split
