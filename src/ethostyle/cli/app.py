"""The ``ethostyle`` application and what every command shares.

The typer app, the consoles, turning ethostyle's errors into one red line
(:func:`friendly_errors`), progress bars, output-path checks and the score
table. The commands themselves live in :mod:`ethostyle.cli.data`,
:mod:`~ethostyle.cli.models`, :mod:`~ethostyle.cli.compare` and
:mod:`~ethostyle.cli.lab`.

Exit codes: 0 success, 1 bad input (one clear message, no traceback), 2 usage
error (typer's own), 3 done but input skipped (``predict --skip-bad``, each
skipped sequence listed), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_args

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
    "COMPUTING",
    "EXIT_SKIPPED",
    "WORKFLOW_ORDER",
    "app",
    "apply_run_options",
    "check_model_first",
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
    """The one help rule for every parameter: its text as written, a plain metavar.

    The metavar (the value's placeholder in the help) is never a Python type
    (``<list[Path]>``, ``{file}``, ``<float range>``): an argument shows its name in
    capitals (``MODEL_DIR``), an option the kind of value it takes (``PATH``,
    ``INTEGER``, ``NUMBER``, ``TEXT``), or the fixed choices its command lists
    (``gbdt|tcn|ensemble``). A number's bounds are said in its help text, in words.
    """
    if getattr(param, "_ethostyle_plain", False):
        return
    param._ethostyle_plain = True
    if getattr(param, "help", None):
        param.help = escape(param.help)
    if getattr(param, "is_flag", False) and not getattr(param, "count", False):
        # An empty metavar is what typer's rich help prints as the type column.
        param.metavar = ""
        return
    kind = _metavar_of_type(param)
    if param.param_type_name == "argument":
        # Typer shows an argument as {name} in the usage line and its Python type
        # beside it; click's way is the name in capitals, then the kind of value.
        name = param.name.upper() + ("..." if param.nargs != 1 else "")
        usage = name if param.required else f"[{name}]"
        param.metavar = name
        param._usage_display_name = lambda: usage
        param.display_type_rich = lambda ctx: kind
    elif param.metavar is None:
        param.metavar = kind
    # typer prints a range's bounds as "[x>=1e-06]"; validation keeps them (param.type).
    if hasattr(param, "min"):
        param.min = param.max = None


def _metavar_of_type(param: Any) -> str:
    """The placeholder of an option's value: what kind of value to type."""
    desc = getattr(param, "type_descriptor", None)
    if desc is None:  # typer before 0.20 keeps click's types
        name = getattr(param.type, "name", "text")
        choices = getattr(param.type, "choices", None)
        return "|".join(map(str, choices)) if choices else name.upper()
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices)
    if desc.is_path:
        return "PATH"
    kind = desc.annotation
    if desc.is_list:
        (kind,) = get_args(kind)
    if isinstance(kind, type) and issubclass(kind, os.PathLike):
        return "PATH"
    if kind is int:
        return "INTEGER"
    if kind is float:
        return "NUMBER"
    return "TEXT"


#: The commands in the order of the work (``ethostyle --help`` lists them so): try it,
#: bring a lab's files in, check them, learn styles, label, score, compare, take out.
WORKFLOW_ORDER = (
    "demo",
    "simulate",
    "example-lab-files",
    "import-pose",
    "import-labels",
    "validate",
    "train",
    "adapt",
    "suggest",
    "describe-style",
    "motifs",
    "predict",
    "evaluate",
    "render-videos",
    "compare",
    "compare-labels",
    "export-boris",
    "export-simba",
    "export-nwb",
)

#: Commands that compute enough to take ``--threads``.
COMPUTING = frozenset(
    {
        "demo",
        "simulate",
        "train",
        "adapt",
        "suggest",
        "predict",
        "evaluate",
        "compare",
        "compare-labels",
    }
)

_THREADS_HELP = (
    "Use at most this many CPU threads (LightGBM, PyTorch, numpy and ethostyle's own), "
    "e.g. on a shared machine. Default: every core."
)
_QUIET_HELP = (
    "Print only warnings, errors and a result line (evaluate's score): no progress bars, "
    "tables or messages."
)
_VERBOSE_HELP = "Also log what happens, step by step."


def _shared_options(
    threads: Annotated[int | None, typer.Option("--threads", help=_THREADS_HELP)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_QUIET_HELP)] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_VERBOSE_HELP)] = False,
) -> None:
    """The options every command takes (``--threads`` only where it computes)."""


@functools.cache
def _shared_params() -> dict[str, Any]:
    """:func:`_shared_options`' parameters, built by typer itself (whatever its version)."""
    template = typer.Typer(add_completion=False)
    template.command()(_shared_options)
    return {p.name: p for p in typer.main.get_command(template).params}


class PlainHelpCommand(_PlainHelp, typer.core.TyperCommand):
    """A typer command whose help is shown as written (see :class:`_PlainHelp`).

    Every command also takes ``--quiet`` and ``--verbose``, and every command in
    :data:`COMPUTING` ``--threads``: one definition here, applied before the
    command runs (:func:`apply_run_options`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shared = _shared_params()
        names = ["quiet", "verbose"] + (["threads"] if self.name in COMPUTING else [])
        self.params += [copy.copy(shared[n]) for n in ["threads", "quiet", "verbose"] if n in names]
        command = self.callback
        if command is not None:

            @functools.wraps(command)
            def callback(**params: Any) -> Any:
                apply_run_options(
                    threads=params.pop("threads", None),
                    quiet=params.pop("quiet"),
                    verbose=params.pop("verbose"),
                    reset=False,
                )
                return command(**params)

            self.callback = callback
        self._plain()


class PlainHelpGroup(_PlainHelp, typer.core.TyperGroup):
    """The app's group, with the same help (see :class:`_PlainHelp`); commands in
    :data:`WORKFLOW_ORDER`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain()

    def list_commands(self, ctx: Any) -> list[str]:
        """The command names in the order of the work, any others after them."""
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(WORKFLOW_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))


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


#: Exit status of a command that did its work but skipped input it could not read
#: (``predict --skip-bad``); the skipped items are listed.
EXIT_SKIPPED = 3


def check_model_first(usage: str, model_dir: Path, files: list[Path]) -> None:
    """Refuse a model directory given among the data files (its place taken by a data file).

    ``predict test.npy model/`` would otherwise read the model folder as a data
    file and fail on that; this says which argument is which.
    """
    models = [p for p in files if (p / "model.json").is_file()]
    if models:
        kind = "a file" if model_dir.is_file() else "not a model directory"
        raise EthostyleError(
            f"the arguments are swapped: you gave {model_dir} ({kind}) as MODEL_DIR and the "
            f"model directory {models[0]} as a file to label; the model directory comes "
            f"first, then the data: ethostyle {usage}"
        )


def check_output(path: Path, *, directory: bool) -> None:
    """Refuse an output path of the wrong kind, or one that cannot be written, before any work.

    The message names the user's path (never the temporary file the output is
    first written to) and the folder that refused.
    """
    from ethostyle.atomic import check_writable

    if directory and path.exists() and not path.is_dir():
        raise EthostyleError(f"{path}: exists and is not a directory; choose another --out")
    if not directory and path.is_dir():
        raise EthostyleError(f"{path}: is a directory; give a file name for the output")
    try:
        check_writable(path)
        if directory and path.is_dir():  # a report folder's files are written inside it
            check_writable(path / "report.html")
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise EthostyleError(
            f"{path}: cannot be written ({exc.filename}: {reason}); check the path, or "
            "choose a folder you can write to"
        ) from None


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
        disable=console.quiet,
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_QUIET_HELP)] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=_VERBOSE_HELP)] = False,
) -> None:
    """ethostyle: annotator styles of mouse social behaviour.

    --quiet and --verbose may also follow the command's name; so may --threads, on
    the commands that compute.
    """
    apply_run_options(threads=None, quiet=quiet, verbose=verbose, reset=True)


class _ConsoleLogHandler(logging.Handler):
    """Log records as the CLI's own lines: ``warning: ...`` and ``error: ...`` on stderr.

    Warnings from ``logging`` and from :mod:`warnings` (:func:`_show_warning`)
    then read alike; with ``--verbose``, the steps logged read ``info: ...``.
    """

    def emit(self, record: logging.LogRecord) -> None:
        """Print one record on standard error."""
        try:
            message = escape(record.getMessage())
        except Exception:  # a malformed log call must not end the command
            self.handleError(record)
            return
        level = record.levelname.lower()
        style = {"warning": "yellow", "error": "bold red", "critical": "bold red"}.get(level)
        label = f"[{style}]{level}:[/]" if style else f"{level}:"
        err_console.print(f"{label} {message}", highlight=False)


def apply_run_options(*, threads: int | None, quiet: bool, verbose: bool, reset: bool) -> None:
    """Set up logging, output and threads for ``--quiet``, ``--verbose`` and ``--threads``.

    Parameters
    ----------
    threads : int or None
        The most CPU threads to use (see :func:`ethostyle.threads.limit_threads`).
    quiet, verbose : bool
        Only warnings and errors; or also the steps logged.
    reset : bool
        True for the app's own options (every run starts from them); False for
        a command's, which may only add to them.
    """
    from ethostyle.threads import limit_threads

    if quiet and verbose:
        raise typer.BadParameter("give --quiet or --verbose, not both")
    if threads is not None and threads < 1:
        raise typer.BadParameter(f"--threads {threads}: give 1 or more")
    if reset or threads is not None:
        limit_threads(threads)
    if reset or quiet:
        console.quiet = quiet
    if reset or verbose:
        root = logging.getLogger()
        for handler in root.handlers[:]:
            if isinstance(handler, _ConsoleLogHandler):
                root.removeHandler(handler)
        root.addHandler(_ConsoleLogHandler())
        root.setLevel(logging.INFO if verbose else logging.WARNING)


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
    # Short headers, no cell wrapped: the table fits an 80-column terminal whole.
    table = Table(title=f"{title}: F1 per behaviour")
    table.add_column("annotator", no_wrap=True)
    table.add_column("frames", justify="right", no_wrap=True)
    for name in behaviours:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("macro F1", justify="right", no_wrap=True)
    table.add_column("precision", justify="right", no_wrap=True)
    absent = False
    for annotator, s in sorted(score.per_annotator.items()):
        cells = [_class_f1(s.per_class[c]) for c in behaviours]
        absent = absent or "n/a" in cells
        table.add_row(str(annotator), str(s.n_frames), *cells, f"{s.f1:.3f}", f"{s.precision:.3f}")
    cells = [_class_f1(score.per_class[c]) for c in behaviours]
    absent = absent or "n/a" in cells
    table.add_row("[bold]pooled", "", *cells, f"[bold]{score.f1:.3f}", f"{score.precision:.3f}")
    caption = (
        "pooled: the frames of annotators 1-5 together (the challenge's score); macro F1 and "
        "precision: means over attack, investigation and mount (never other)"
    )
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
