"""The ``ethostyle`` application and what every command shares.

The typer app, the consoles, turning ethostyle's errors into one red line
(:func:`friendly_errors`), progress bars, output-path checks and the score
table. The commands themselves live in :mod:`ethostyle.cli.data`,
:mod:`~ethostyle.cli.models`, :mod:`~ethostyle.cli.compare` and
:mod:`~ethostyle.cli.lab`.

Exit codes: 0 success, 1 bad input (one clear message, no traceback), 2 usage
error (typer's own), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import functools
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ethostyle import __version__
from ethostyle.atomic import remove_unfinished_writes
from ethostyle.errors import EthostyleError

__all__ = [
    "app",
    "check_output",
    "console",
    "err_console",
    "friendly_errors",
    "print_score_table",
    "progress_bars",
    "run",
]

app = typer.Typer(
    name="ethostyle",
    help=(
        "Learn how each annotator labels mouse social behaviour (attack, investigation, "
        "mount) and label new videos in any annotator's style. Works on CalMS21 / "
        "MABe 2021 files and on a built-in simulated data set."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn ethostyle's own errors into one red line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always")
                logging.captureWarnings(False)
                warnings.showwarning = _show_warning
                return func(*args, **kwargs)
        except EthostyleError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
        except OSError as exc:
            # The file system refused (no such folder, no permission, disk full, a
            # folder where a file should go): the user's to fix, not a bug to trace.
            err_console.print(f"[bold red]error:[/] {_os_error_message(exc)}", highlight=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            remove_unfinished_writes()
            err_console.print(
                "[yellow]interrupted: files reported as written above are complete; "
                "nothing else was written or changed[/]"
            )
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _os_error_message(exc: OSError) -> str:
    """One line naming the path the file system refused and why."""
    path = exc.filename2 if exc.filename2 is not None else exc.filename
    if path is None or exc.strerror is None:
        return str(exc)
    return f"{path}: {exc.strerror.lower()}; check the path, its permissions and free disk space"


def check_output(path: Path, *, directory: bool) -> None:
    """Refuse an output path of the wrong kind before any work is done."""
    if directory and path.exists() and not path.is_dir():
        raise EthostyleError(f"{path}: exists and is not a directory; choose another --out")
    if not directory and path.is_dir():
        raise EthostyleError(f"{path}: is a directory; give a file name for the output")


def _show_warning(message: Any, category: Any, *_args: Any, **_kwargs: Any) -> None:
    err_console.print(f"[yellow]warning:[/] {message}", highlight=False)


class RichProgress:
    """:class:`ethostyle.progress.Progress` drawn with rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress_bars = progress

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Add a bar; return its advance function."""
        task_id = self.progress_bars.add_task(description, total=max(total, 1))

        def advance(n: int) -> None:
            self.progress_bars.advance(task_id, n)

        return advance


@contextmanager
def progress_bars() -> Iterator[RichProgress]:
    """Rich progress bars for the duration of a command (on standard error)."""
    with Progress(
        TextColumn("[bold blue]{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        yield RichProgress(progress)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"ethostyle {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False,
) -> None:
    """ethostyle: annotator styles of mouse social behaviour."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        force=True,
    )


def print_score_table(score: Any, title: str = "MABe 2021 Task 2 score") -> None:
    """Print a Task 2 score as a table: per annotator and pooled, per class."""
    table = Table(title=title)
    table.add_column("annotator")
    table.add_column("frames", justify="right")
    for name in ("attack", "investigation", "mount"):
        table.add_column(f"F1 {name}", justify="right")
    table.add_column("F1 macro", justify="right")
    table.add_column("precision", justify="right")
    for annotator, s in sorted(score.per_annotator.items()):
        table.add_row(
            str(annotator),
            str(s.n_frames),
            *(f"{s.per_class[c].f1:.3f}" for c in ("attack", "investigation", "mount")),
            f"{s.f1:.3f}",
            f"{s.precision:.3f}",
        )
    table.add_row(
        "[bold]pooled 1-5",
        "",
        *(f"{score.per_class[c].f1:.3f}" for c in ("attack", "investigation", "mount")),
        f"[bold]{score.f1:.3f}",
        f"{score.precision:.3f}",
    )
    console.print(table)


def run() -> None:
    """Entry point that keeps tracebacks away from users on Ctrl-C."""
    try:
        app()
    except KeyboardInterrupt:
        remove_unfinished_writes()
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)
