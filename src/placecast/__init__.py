"""placecast: forecast children's social care placement numbers and costs for English councils.

The handful of objects a finance officer needs::

    import placecast as pc
    inputs = pc.hackney_2022()                      # or your own council's inputs
    fc = pc.forecast(inputs, months=60, paths=2000, seed=1)
    fc.overspend_summary()
    cmp = pc.compare(inputs, [pc.Scenario("recruit 10 more a year", extra_approvals_per_year=10)])
    cmp.savings_summary()

The modules follow the pipeline, each importing only those below it: see the architecture page
of the documentation.
"""

from placecast._version import __version__
from placecast.costs import Budget, CostSubtype, CostTail, UnitCosts
from placecast.data.hackney import hackney_2020, hackney_2022
from placecast.engine import Drivers, expected, simulate
from placecast.errors import ConfigError, InputError, PlacecastError
from placecast.forecasting import Forecast, ScenarioEffects, forecast
from placecast.inputs import (
    CouncilInputs,
    inputs_fingerprint,
    inputs_schema,
    load_inputs,
    save_inputs,
)
from placecast.rates import Rates
from placecast.scenario import (
    Comparison,
    RateChange,
    RecruitmentCurve,
    Scenario,
    ScenarioFile,
    compare,
    load_scenarios,
    recruitment_curve,
)
from placecast.states import Placement, StateSpace
from placecast.stock import InitialStock
from placecast.supply import CarerSupply

__all__ = [
    "Budget",
    "CarerSupply",
    "Comparison",
    "ConfigError",
    "CostSubtype",
    "CostTail",
    "CouncilInputs",
    "Drivers",
    "Forecast",
    "InitialStock",
    "InputError",
    "PlacecastError",
    "Placement",
    "RateChange",
    "Rates",
    "RecruitmentCurve",
    "Scenario",
    "ScenarioEffects",
    "ScenarioFile",
    "StateSpace",
    "UnitCosts",
    "__version__",
    "compare",
    "expected",
    "forecast",
    "hackney_2020",
    "hackney_2022",
    "inputs_fingerprint",
    "inputs_schema",
    "load_inputs",
    "load_scenarios",
    "recruitment_curve",
    "save_inputs",
    "simulate",
]
