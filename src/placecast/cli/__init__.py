"""Command line (click): ``placecast forecast`` runs a baseline vs recruitment comparison.

A thin layer over the public API; everything it does can be done from Python. One module per
command: :mod:`~placecast.cli.simulate` (forecast, compare, report), :mod:`~placecast.cli.fit`,
:mod:`~placecast.cli.fit_published`, :mod:`~placecast.cli.backtest`,
:mod:`~placecast.cli.recruit` and :mod:`~placecast.cli.batch`; shared and generated
options in :mod:`~placecast.cli.options`. Errors placecast raises on purpose reach the user as
one line and exit status 2 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import sys

import click

from placecast._version import __version__
from placecast.cli import backtest, batch, fit, fit_published, init, recruit, simulate
from placecast.cli.options import Group
from placecast.errors import PlacecastError

__all__ = ["app", "main"]


@click.group(
    cls=Group,
    help="Forecast children in care by placement type and placement spend against budget, with "
    "scenario comparisons.",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="placecast")
@click.option("--debug", is_flag=True, help="show the full traceback of an error")
@click.pass_context
def app(ctx: click.Context, debug: bool) -> None:
    ctx.obj = {"debug": debug}


for _command in (
    init.init,
    simulate.forecast,
    simulate.compare_file,
    simulate.report,
    fit.fit,
    fit_published.fit_published,
    backtest.backtest,
    recruit.recruit,
    batch.batch,
):
    app.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``placecast`` command: returns the exit status.

    Usage errors (a bad option or value) print click's message and raise ``SystemExit(2)``;
    errors placecast raises on purpose print one line and return 2.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        result = app.main(args=args, prog_name="placecast", standalone_mode=False)
    except click.exceptions.Exit as done:  # --help, --version
        return int(done.exit_code)
    except click.ClickException as err:
        err.show()
        raise SystemExit(err.exit_code) from None
    except click.exceptions.Abort:
        print("placecast: aborted", file=sys.stderr)
        return 1
    except PlacecastError as err:
        if "--debug" in args:
            raise
        print(f"placecast: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("placecast: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # no traceback reaches a user without --debug
        if "--debug" in args:
            raise
        print(f"placecast: error: {_unexpected(err)}", file=sys.stderr)
        return 2 if isinstance(err, (OSError, MemoryError)) else 1
    return int(result or 0)


def _unexpected(err: Exception) -> str:
    """One line for an error placecast did not raise on purpose, with what to do next."""
    if isinstance(err, OSError):
        where = f" ({err.filename})" if err.filename else ""
        reason = err.strerror or str(err) or type(err).__name__
        return (
            f"could not read or write a file{where}: {reason}. Check the path exists, is the "
            "kind expected (file or folder), is writable and the disk has room."
        )
    if isinstance(err, MemoryError):
        return (
            "out of memory. Use fewer --paths, fewer --months or fewer scenarios at once, "
            "or run on a machine with more memory."
        )
    text = " ".join(str(err).split())[:300] or "(no message)"
    return (
        f"unexpected {type(err).__name__}: {text}. This is a fault in placecast, not in "
        "your input as far as it could tell: rerun with --debug for the traceback and report it."
    )
