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
import typer.core
from rich.console import Console
from rich.markup import escape
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


class _PlainHelp:
    """Help shown as written: no rich markup in help text, no ``<bool>`` after a flag.

    Typer reads help text as rich markup, so ``ethostyle[torch]`` would lose its
    ``[torch]``; and it prints a flag's type (``<bool>``) though a flag takes no
    value. Every command and the app itself get this, so no help string needs
    escaping by hand.
    """

    def _plain(self) -> None:
        if self.help:  # type: ignore[attr-defined]
            self.help = escape(self.help)  # type: ignore[attr-defined]
        for param in self.params:  # type: ignore[attr-defined]
            _plain_param(param)

    def get_help_option(self, ctx: Any) -> Any:
        """Click's ``--help`` option, shown without a type."""
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            _plain_param(option)
        return option


def _plain_param(param: Any) -> None:
    if getattr(param, "_ethostyle_plain", False):
        return
    param._ethostyle_plain = True
    if getattr(param, "help", None):
        param.help = escape(param.help)
    if getattr(param, "is_flag", False) and not getattr(param, "count", False):
        # An empty metavar is what typer's rich help prints as the type column.
        param.metavar = ""


class PlainHelpCommand(_PlainHelp, typer.core.TyperCommand):
    """A typer command whose help is shown as written (see :class:`_PlainHelp`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain()


class PlainHelpGroup(_PlainHelp, typer.core.TyperGroup):
    """The app's group, with the same help (see :class:`_PlainHelp`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain()


class _Typer(typer.Typer):
    """A typer app whose commands are :class:`PlainHelpCommand` unless told otherwise."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        """Register a command (see :meth:`typer.Typer.command`)."""
        kwargs.setdefault("cls", PlainHelpCommand)
        return super().command(*args, **kwargs)


app = _Typer(
    name="ethostyle",
    cls=PlainHelpGroup,
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
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None
        except OSError as exc:
            # The file system refused (no such folder, no permission, disk full, a
            # folder where a file should go): the user's to fix, not a bug to trace.
            err_console.print(
                f"[bold red]error:[/] {escape(_os_error_message(exc))}", highlight=False
            )
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
    err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False)


class RichProgress:
    """:class:`ethostyle.progress.Progress` drawn with rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self.progress_bars = progress

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Add a bar; return its advance function.

        A step with nothing to do (``total`` 0) draws no bar: a bar of 0 units
        would stand at 0/1 for ever.
        """
        if total <= 0:
            return _ignore
        task_id = self.progress_bars.add_task(description, total=total)

        def advance(n: int) -> None:
            self.progress_bars.advance(task_id, n)

        return advance


def _ignore(_n: int) -> None:
    return None


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


def _class_f1(scores: Any) -> str:
    """A behaviour's F1, or ``n/a`` where neither side has a frame of it."""
    if scores.support == 0 and scores.n_predicted == 0:
        return "n/a"
    return f"{scores.f1:.3f}"


def print_score_table(score: Any, title: str = "MABe 2021 Task 2 score") -> None:
    """Print a Task 2 score as a table: per annotator and pooled, per class.

    A behaviour that neither the true labels nor the predictions of a row hold
    has no F1: it is printed ``n/a``. The macro F1 stays the challenge's: the mean
    over attack, investigation and mount, such a behaviour counting as 0; the
    caption says so.
    """
    behaviours = ("attack", "investigation", "mount")
    table = Table(title=title)
    table.add_column("annotator")
    table.add_column("frames", justify="right")
    for name in behaviours:
        table.add_column(f"F1 {name}", justify="right")
    table.add_column("F1 macro", justify="right")
    table.add_column("precision", justify="right")
    absent = False
    for annotator, s in sorted(score.per_annotator.items()):
        cells = [_class_f1(s.per_class[c]) for c in behaviours]
        absent = absent or "n/a" in cells
        table.add_row(str(annotator), str(s.n_frames), *cells, f"{s.f1:.3f}", f"{s.precision:.3f}")
    cells = [_class_f1(score.per_class[c]) for c in behaviours]
    absent = absent or "n/a" in cells
    table.add_row("[bold]pooled 1-5", "", *cells, f"[bold]{score.f1:.3f}", f"{score.precision:.3f}")
    caption = "F1 macro and precision: means over attack, investigation and mount (never other)"
    if absent:
        caption += (
            "; n/a: neither the labels nor the predictions have the behaviour, and the "
            "challenge's mean counts it as 0"
        )
    table.caption = caption
    console.print(table)


def run() -> None:
    """Entry point that keeps tracebacks away from users on Ctrl-C."""
    try:
        app()
    except KeyboardInterrupt:
        remove_unfinished_writes()
        err_console.print("[yellow]interrupted[/]")
        sys.exit(130)
