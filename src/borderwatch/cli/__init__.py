"""The ``borderwatch`` command line: one typer app, one module per command group, each command a thin shell over
a library call.

Errors a user can cause print one line to stderr and exit with status 2. Modules import only typer, rich and the
standard library at their top; numpy, scipy, matplotlib and numba are imported inside the commands that need
them, so that ``borderwatch --help`` starts fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from borderwatch import __version__
from borderwatch.cli import admin, core, events, interop, interop_tak, mobility, sensors, serve, tracking
from borderwatch.cli.common import TheatreOpt, console, err_console, handle_errors, progress_bar

app = typer.Typer(
    name="borderwatch",
    help="Decision support for land-border defence: drone wall, defence line, border events.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for _mod in (core, mobility, sensors, tracking, admin, serve, events, interop, interop_tak):
    app.registered_commands.extend(_mod.app.registered_commands)
    app.registered_groups.extend(_mod.app.registered_groups)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    if version:
        console.print(f"borderwatch {__version__}")
        raise typer.Exit(0)


def main() -> None:
    app()


__all__ = ["TheatreOpt", "app", "console", "err_console", "handle_errors", "main", "progress_bar"]
