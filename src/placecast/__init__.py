"""placecast: forecast children's social care placement numbers and costs for English councils.

The handful of objects a finance officer needs::

    import placecast as pc
    inputs = pc.hackney_2020()                      # or your own council's inputs
    fc = pc.forecast(inputs, months=60, paths=2000, seed=1)
    fc.overspend_summary()
    cmp = pc.compare(inputs, [pc.Scenario("recruit 10 more a year", extra_approvals_per_year=10)])
    cmp.savings_summary()
"""

from placecast.costs import Budget, UnitCosts
from placecast.data.hackney import hackney_2020
from placecast.errors import ConfigError, InputError, PlacecastError
from placecast.forecast import CouncilInputs, Forecast, forecast
from placecast.rates import Rates
from placecast.scenario import Comparison, Scenario, ScenarioFile, compare, load_scenarios
from placecast.simulate import Drivers, InitialStock, expected, simulate
from placecast.states import Placement, StateSpace
from placecast.supply import CarerSupply

__version__ = "0.1.0"

__all__ = [
    "Budget",
    "CarerSupply",
    "Comparison",
    "ConfigError",
    "CouncilInputs",
    "Drivers",
    "Forecast",
    "InitialStock",
    "InputError",
    "PlacecastError",
    "Placement",
    "Rates",
    "Scenario",
    "ScenarioFile",
    "StateSpace",
    "UnitCosts",
    "__version__",
    "compare",
    "expected",
    "forecast",
    "hackney_2020",
    "load_scenarios",
    "simulate",
]
