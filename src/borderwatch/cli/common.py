"""What every command module shares: consoles, one-line errors, progress bars, common options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from borderwatch.errors import BorderwatchError

# piped output (files, CI logs, test runners) gets wide tables instead of ellipsised 80-column ones
console = Console() if sys.stdout.isatty() else Console(width=160)
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

TheatreOpt = Annotated[
    str | None, typer.Option("--theatre", help="Shipped theatre name or a folder with theatre.yaml.")
]


def handle_errors(fn: F) -> F:
    """Turn BorderwatchError into one line on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BorderwatchError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar; yields a ``callback(done, total)``. Silent when stderr is not a terminal."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
        disable=not sys.stderr.isatty(),
    ) as prog:
        task = prog.add_task(description, total=None)

        def cb(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        yield cb
