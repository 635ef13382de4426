"""Options shared by several commands, and options generated from settings objects.

The fit's options (``--draws``, ``--entry-model``, ...) come from the fields of
:class:`~placecast.fit.settings.AggregateSettings` (and a backtest's from
:class:`~placecast.evaluation.settings.BacktestSettings`): their defaults, choices and help are
the library's, typed once.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any

import click

from placecast.engine.size import MAX_MONTHS
from placecast.forecasting import SEED as DEFAULT_SEED

__all__ = [
    "SEED",
    "Group",
    "council_options",
    "out_option",
    "run_options",
    "seed_option",
    "settings_from_options",
    "settings_options",
    "stock_growth_options",
]


class FiniteRange(click.FloatRange):
    """click's FloatRange that also refuses nan and inf (nan compares false with any bound)."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


#: Seeds numpy accepts from the command line.
SEED = click.IntRange(0, 2**32 - 1)
POSITIVE = click.IntRange(min=1)


class Group(click.Group):
    """Subcommands with a "did you mean" suggestion for a misspelt one."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if args and self.get_command(ctx, name) is None and not name.startswith("-"):
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            ctx.fail(
                f"No such command '{name}'.{hint} Commands: {', '.join(self.list_commands(ctx))}"
            )
        return super().resolve_command(ctx, args)


def _apply(options: list[Callable[[Any], Any]], command: Any) -> Any:
    for option in reversed(options):
        command = option(command)
    return command


def run_options(*, defaults: bool) -> Callable[[Any], Any]:
    """--months, --paths, --seed, --out, --no-charts, --inputs and --figures of the simulating
    commands
    (``defaults=False``: none, so a scenario file's [run] table applies)."""
    return lambda command: _apply(
        [
            click.option(
                "--months",
                type=click.IntRange(1, MAX_MONTHS),
                default=60 if defaults else None,
                help="horizon in months (default 60)",
            ),
            click.option(
                "--paths",
                type=click.IntRange(1, 1_000_000),
                default=2000 if defaults else None,
                help="simulated paths; more = smoother intervals (default 2000)",
            ),
            click.option(
                "--seed",
                type=SEED,
                default=DEFAULT_SEED if defaults else None,
                help=f"random seed (default {DEFAULT_SEED})",
            ),
            click.option(
                "--out",
                type=click.Path(path_type=Path, file_okay=False),
                default=Path("placecast-output"),
                show_default=True,
                help="folder for the tables, charts, Excel workbook and HTML report",
            ),
            click.option(
                "--no-charts", is_flag=True, help="skip the PNG charts and the HTML report"
            ),
            *_COUNCIL,
        ],
        command,
    )


def council_options(command: Any) -> Any:
    """--inputs and --figures, the council a simulating command runs (see
    :func:`placecast.cli.simulate.council_inputs`)."""
    return _apply(_COUNCIL, command)


#: --inputs and --figures (decorators; click makes a fresh option each time one is applied).
_COUNCIL = [
    click.option(
        "--inputs",
        type=click.Path(path_type=Path, exists=True, file_okay=False),
        default=None,
        help="a council's saved inputs folder (inputs.json + inputs.nc, e.g. written by "
        "'placecast fit' or placecast.save_inputs); default: the embedded Hackney, "
        "fitted to 2022",
    ),
    click.option(
        "--figures",
        type=click.Path(path_type=Path, exists=True, dir_okay=False),
        default=None,
        help="a workbook of your carer supply, unit costs and budget (written by "
        "'placecast init' and filled in), used instead of the inputs' own",
    ),
]


def _option_for(f: Field[Any], *, defaults: dict[str, Any]) -> Any:
    """A click option for a settings field: type from the default's type, choices and help
    from the field's metadata."""
    default = defaults.get(f.name, f.default if f.default is not MISSING else None)
    choices = f.metadata.get("choices")
    annotation = str(f.type)
    if choices:
        kind: Any = click.Choice(list(choices))
    elif "float" in annotation:
        one = bool(f.metadata.get("one_allowed"))
        kind = FiniteRange(0.0, 1.0, min_open=True, max_open=not one)
    else:
        kind = click.IntRange(min=f.metadata.get("minimum", 1))
    help_text = f.metadata.get("help", "")
    return click.option(
        f"--{f.name.replace('_', '-')}",
        f.name,
        type=kind,
        default=default,
        show_default=default is not None,
        help=help_text,
    )


def settings_options(
    settings: type, *, skip: tuple[str, ...] = (), **defaults: Any
) -> Callable[[Any], Any]:
    """One option per field of the settings dataclass ``settings`` (bar ``skip``), with the
    library's defaults unless given here."""
    chosen = [f for f in fields(settings) if f.name not in skip]
    return lambda command: _apply([_option_for(f, defaults=defaults) for f in chosen], command)


def settings_from_options(settings: type, values: dict[str, Any]) -> Any:
    """The settings object from the options' values (fields not given keep their defaults)."""
    names = {f.name for f in fields(settings)}
    return settings(**{k: v for k, v in values.items() if k in names and v is not None})


def seed_option(default: int) -> Callable[[Any], Any]:
    """--seed, a seed numpy accepts."""
    return click.option("--seed", type=SEED, default=default, show_default=True, help="random seed")


def out_option(default: str) -> Callable[[Any], Any]:
    """--out, the output folder."""
    return click.option(
        "--out",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path(default),
        show_default=True,
        help="output folder",
    )


def stock_growth_options(command: Any) -> Any:
    """--stock-growth MEAN SD and --no-stock-growth-prior (they exclude each other)."""
    return _apply(
        [
            click.option(
                "--stock-growth",
                type=(float, float),
                default=None,
                metavar="MEAN SD",
                help="pool the first forecast year's change of children in care towards MEAN "
                "(e.g. 0.02 for +2%) with this SD (national priors: England's growth, SD 0.025)",
            ),
            click.option(
                "--no-stock-growth-prior",
                is_flag=True,
                help="do not pool the first forecast year (its flows follow the council's last "
                "year)",
            ),
        ],
        command,
    )


def with_stock_growth(priors: Any, stock_growth: Any, no_prior: bool) -> Any:
    """Apply --stock-growth / --no-stock-growth-prior to the priors."""
    if stock_growth is not None and no_prior:
        raise click.UsageError("give --stock-growth or --no-stock-growth-prior, not both")
    if no_prior:
        return priors.with_stock_growth(None, None)
    if stock_growth is not None:
        return priors.with_stock_growth(*stock_growth)
    return priors
