"""``placecast init``: a workbook of a council's carer supply, unit costs and budget to fill in."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from placecast.data.figures import write_figures_template
from placecast.data.hackney import hackney_2022
from placecast.errors import InputError
from placecast.inputs import load_inputs


@click.command(
    "init",
    help="Write an Excel workbook of the carer supply, unit costs and budget of your --inputs "
    "folder (default: the embedded Hackney), prefilled with their current values and sources, "
    "for you to replace with your council's own figures; then run 'placecast forecast "
    "--inputs FOLDER --figures FILE' (or compare).",
    short_help="write a workbook of carers, unit costs and budget to fill in",
)
@click.option(
    "--inputs",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    default=None,
    help="a council's inputs folder (e.g. from 'placecast fit-published'); default: the "
    "embedded Hackney, fitted to 2022",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("council-figures.xlsx"),
    show_default=True,
    help="the workbook to write (.xlsx)",
)
@click.option("--force", is_flag=True, help="replace the workbook if it exists")
def init(inputs: Path | None, out: Path, force: bool) -> int:
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"--out {out}: the workbook's name must end in .xlsx")
    if out.exists() and not force:
        raise InputError(
            f"--out {out}: the file exists and may hold your figures; give another name, or "
            "--force to replace it"
        )
    council = hackney_2022() if inputs is None else load_inputs(inputs)
    write_figures_template(council, out)
    command = "placecast forecast" + (f" --inputs {inputs}" if inputs else "")
    print(
        f"Wrote {out}: replace the carer supply, unit costs and budget with your council's, "
        f"then run: {command} --figures {out}",
        file=sys.stderr,
    )
    return 0
