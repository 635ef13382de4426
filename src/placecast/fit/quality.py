"""Is a fit good enough to forecast from? One documented rule for both fits.

A fit passes when the sampler converged and the fitted model reproduces the last published
stock:

* R-hat at most :data:`R_HAT_MAX` (1.01) for every parameter;
* bulk effective sample size at least :data:`ESS_BULK_PER_CHAIN` (100) per chain for every
  parameter (Vehtari et al. 2021's floor for reliable R-hat and interval estimates);
* no divergent transitions (:data:`DIVERGENCES_MAX`);
* for the published-statistics fit, the posterior mean of children in care at 31 March of the
  last fitted year within :data:`STOCK_TOLERANCE` (10%) of the published count, or within
  :data:`STOCK_TOLERANCE_POISSON_SD` (3) Poisson standard deviations of it (``3 * sqrt(n)``)
  when that is wider, as it is below 900 children: a published count is at least one Poisson
  draw around the model's expectation, so a council of 25 may miss by 15 by chance alone (the
  earlier floor of 5 children refused Rutland and the City of London to 2022 for misses of 9
  and 7). The forecast starts from the published stock, never the fitted one.

The command line refuses to write an inputs folder from a fit that fails, unless told to accept
it; inputs made from such a fit carry the check, and every forecast and report made from them
says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

import pandas as pd

__all__ = [
    "DIVERGENCES_MAX",
    "ESS_BULK_PER_CHAIN",
    "R_HAT_MAX",
    "STOCK_TOLERANCE",
    "STOCK_TOLERANCE_POISSON_SD",
    "FitCheck",
    "check_fit",
    "stock_allowance",
]

R_HAT_MAX = 1.01
ESS_BULK_PER_CHAIN = 100
DIVERGENCES_MAX = 0
STOCK_TOLERANCE = 0.10
STOCK_TOLERANCE_POISSON_SD = 3.0


@dataclass(frozen=True)
class FitCheck:
    """The outcome of :func:`check_fit`: the numbers, and what is wrong in words.

    Attributes
    ----------
    model
        Which fit (e.g. ``"AggregateModel (Leeds)"``).
    max_r_hat, min_ess_bulk, divergences, chains
        The sampler's worst values.
    fitted_stock, published_stock
        Children in care at the last fitted 31 March, fitted (posterior mean) and published
        (``None`` for a fit that has no published stock to meet).
    problems
        One sentence per failed rule; empty when the fit passes.
    sampling
        What the sampler did, where it sampled more than once (``AggregateSettings.retry``);
        empty otherwise.
    cautions
        What a reader of the forecast should know although the fit passes (e.g. rates that
        rest on one year of flows); reports show them beside the forecast.
    """

    model: str
    max_r_hat: float
    min_ess_bulk: float
    divergences: int
    chains: int
    fitted_stock: float | None = None
    published_stock: float | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)
    sampling: str = ""
    cautions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def converged(self) -> bool:
        """Whether the sampler's rules pass (R-hat, bulk ESS, divergences), whatever the
        fitted stock: what sampling again or longer can mend."""
        return all(rule.passed for rule in _rules(self) if rule.sampler)

    def summary(self) -> str:
        """One line for a report: passed, or what failed."""
        numbers = (
            f"R-hat {self.max_r_hat:.3f}, bulk ESS {self.min_ess_bulk:.0f}, "
            f"{self.divergences} divergences"
        )
        if self.fitted_stock is not None and self.published_stock is not None:
            numbers += (
                f", fitted stock {self.fitted_stock:,.0f} against {self.published_stock:,.0f} "
                "published"
            )
        if self.sampling:
            numbers += f"; sampled as {self.sampling}"
        if self.passed:
            return f"{self.model}: passed ({numbers})"
        return f"{self.model}: FAILED - {'; '.join(self.problems)} ({numbers})"

    def table(self) -> pd.DataFrame:
        """Each rule of the check with the fit's value, what is required and whether it passed,
        for reports.

        Returns
        -------
        pandas.DataFrame
            Columns ``check``, ``value``, ``required``, ``passed`` (``"yes"`` / ``"NO"``).

        Examples
        --------
        >>> FitCheck("m", 1.004, 650.0, 0, 2).table()["passed"].tolist()
        ['yes', 'yes', 'yes']
        """
        return pd.DataFrame(
            [
                (rule.check, rule.value, rule.required, "yes" if rule.passed else "NO")
                for rule in _rules(self)
            ],
            columns=["check", "value", "required", "passed"],
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["problems"] = list(self.problems)
        out["cautions"] = list(self.cautions)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> FitCheck:
        return cls(
            **{
                **values,
                "problems": tuple(values.get("problems", ())),
                "cautions": tuple(values.get("cautions", ())),  # none in older inputs
            }
        )


class _Rule(NamedTuple):
    """One rule of the check applied to a fit: for reports (``check``, ``value``,
    ``required``), the verdict, and the sentence that says what failed."""

    check: str
    value: str
    required: str
    passed: bool
    problem: str
    sampler: bool  # a rule on the sampler (sampling again can mend it), not the fitted stock


def _rules(c: FitCheck) -> list[_Rule]:
    """Every rule of the module's docstring, applied to ``c``'s numbers: the one place the
    limits are compared, for :func:`check_fit`, :attr:`FitCheck.converged` and the table."""
    ess_floor = ESS_BULK_PER_CHAIN * c.chains
    rules = [
        _Rule(
            "largest R-hat",
            f"{c.max_r_hat:.3f}",
            f"at most {R_HAT_MAX}",
            c.max_r_hat <= R_HAT_MAX,
            f"R-hat up to {c.max_r_hat:.3f} (at most {R_HAT_MAX} needed)",
            True,
        ),
        _Rule(
            "smallest bulk effective sample size",
            f"{c.min_ess_bulk:,.0f}",
            f"at least {ess_floor:,} ({ESS_BULK_PER_CHAIN} per chain, {c.chains} chains)",
            c.min_ess_bulk >= ess_floor,
            f"bulk effective sample size down to {c.min_ess_bulk:.0f} (at least {ess_floor} "
            f"needed for {c.chains} chains)",
            True,
        ),
        _Rule(
            "divergent transitions",
            f"{c.divergences}",
            f"at most {DIVERGENCES_MAX}",
            c.divergences <= DIVERGENCES_MAX,
            f"{c.divergences} divergent transitions (none allowed)",
            True,
        ),
    ]
    if c.fitted_stock is not None and c.published_stock is not None:
        allowed = stock_allowance(c.published_stock)
        rules.append(
            _Rule(
                "children in care at the last 31 March, fitted",
                f"{c.fitted_stock:,.0f}",
                f"within {allowed:,.0f} of the published {c.published_stock:,.0f}",
                abs(c.fitted_stock - c.published_stock) <= allowed,
                f"the fitted children in care ({c.fitted_stock:,.0f}) miss the published "
                f"{c.published_stock:,.0f} by more than {allowed:,.0f}",
                False,
            )
        )
    return rules


def stock_allowance(published_stock: float) -> float:
    """How far the fitted last stock may miss the published one: the larger of
    :data:`STOCK_TOLERANCE` of it and :data:`STOCK_TOLERANCE_POISSON_SD` Poisson standard
    deviations."""
    return max(
        STOCK_TOLERANCE * published_stock,
        STOCK_TOLERANCE_POISSON_SD * math.sqrt(max(published_stock, 0.0)),
    )


def check_fit(
    diagnostics: pd.DataFrame,
    *,
    model: str,
    chains: int,
    fitted_stock: float | None = None,
    published_stock: float | None = None,
    sampling: str = "",
) -> FitCheck:
    """Apply the rule of this module to a fit's ``diagnostics_`` (one row: ``max_r_hat``,
    ``min_ess_bulk``, ``divergences``) and, where given, its fitted and published stock."""
    row = diagnostics.iloc[0]
    numbers = FitCheck(
        model=model,
        max_r_hat=float(row["max_r_hat"]),
        min_ess_bulk=float(row["min_ess_bulk"]),
        divergences=int(row["divergences"]),
        chains=chains,
        fitted_stock=fitted_stock,
        published_stock=published_stock,
        sampling=sampling,
    )
    problems = tuple(rule.problem for rule in _rules(numbers) if not rule.passed)
    return replace(numbers, problems=problems)
