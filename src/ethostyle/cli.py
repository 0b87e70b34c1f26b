"""The ``ethostyle`` command line: thin shells over the Python API.

Exit codes: 0 success, 1 bad input (one clear message, no traceback), 2 usage
error (typer's own), 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import functools
import json
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

__all__ = ["app"]

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


def _friendly_errors(func: F) -> F:
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


def _check_output(path: Path, *, directory: bool) -> None:
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
        self._progress = progress

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """Add a bar; return its advance function."""
        task_id = self._progress.add_task(description, total=max(total, 1))

        def advance(n: int) -> None:
            self._progress.advance(task_id, n)

        return advance


@contextmanager
def _progress() -> Iterator[RichProgress]:
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


@app.command()
@_friendly_errors
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    preset: Annotated[
        str, typer.Option(help="Data set size: 'calms21-task2-like' (default) or 'tiny'.")
    ] = "calms21-task2-like",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
) -> None:
    """Make a simulated CalMS21-like data set with known annotator styles.

    Writes train.npy (annotator 0 plus a few videos of annotators 1-5), test.npy
    (unlabelled), test_labels.npy (the answers) and sample_submission.npy.
    """
    from ethostyle.simulate import simulate as run_simulation
    from ethostyle.simulate import write_simulation

    sim = run_simulation(preset, seed=seed)
    paths = write_simulation(sim, out)
    for name, path in paths.items():
        console.print(f"wrote {name}: {path}")


@app.command()
@_friendly_errors
def validate(
    file: Annotated[
        Path, typer.Argument(help="A train, test, labels or submission .npy, or CalMS21 .json.")
    ],
    test: Annotated[
        Path | None, typer.Option("--test", help="The test file a submission must match.")
    ] = None,
) -> None:
    """Say what a data file is and what, if anything, is wrong with it."""
    from ethostyle.io import describe_file

    report = describe_file(file, test)
    console.print(report.summary(), highlight=False)
    if report.problems:
        raise EthostyleError(f"{file}: {len(report.problems)} problem(s) found (listed above)")


@app.command()
@_friendly_errors
def evaluate(
    submission: Annotated[Path, typer.Argument(help="Predicted labels (submission .npy).")],
    test: Annotated[Path, typer.Argument(help="The test file (for annotator ids).")],
    labels: Annotated[Path, typer.Argument(help="The true labels of the test file.")],
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the scores as JSON here.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the score tables as an HTML report here."),
    ] = None,
) -> None:
    """Score a submission exactly as the MABe 2021 Task 2 challenge does.

    F1 of attack, investigation and mount over the pooled frames of annotators 1-5,
    macro-averaged (precision breaks ties); also per annotator and per class. The
    last line is machine-readable: task2_f1=<value> task2_precision=<value>.
    """
    from ethostyle.io import (
        attach_labels,
        load_labels,
        load_submission,
        load_test_npy,
        validate_submission,
    )
    from ethostyle.metrics import SCORED_ANNOTATORS, task2_score

    test_ds = load_test_npy(test)
    pred = load_submission(submission)
    validate_submission(pred, test_ds, submission)
    # attach_labels names the labels file when its ids or lengths do not match the test file.
    truth = attach_labels(test_ds, load_labels(labels), labels)
    missing = [s.id for s in truth if s.labels is None and s.annotator_id in SCORED_ANNOTATORS]
    if missing:
        raise EthostyleError(
            f"{labels}: no labels for {len(missing)} scored test sequence(s) (annotators "
            f"1-5), e.g. {missing[:3]}; use the label file that belongs to this test file"
        )
    score = task2_score(
        {s.id: s.labels for s in truth if s.labels is not None},
        pred,
        {s.id: s.annotator_id for s in truth},
    )
    _print_score_table(score)
    if json_out is not None:
        from ethostyle.atomic import atomic_write_path

        with atomic_write_path(json_out) as tmp:
            tmp.write_text(json.dumps(score.to_dict(), indent=2))
    if report is not None:
        from ethostyle.report import write_report

        written = write_report(report, score=score, title=f"ethostyle evaluate: {submission.name}")
        console.print(f"wrote report: {written['report']}", highlight=False)
    console.print(f"task2_f1={score.f1:.6f} task2_precision={score.precision:.6f}", highlight=False)


@app.command()
@_friendly_errors
def train(
    train_file: Annotated[
        Path, typer.Argument(help="Labelled training file (train.npy layout or CalMS21 .json).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="Model family: 'gbdt' (LightGBM, the default: fast on CPU), 'tcn' (a temporal "
            "convolutional network, needs ethostyle[torch]) or 'ensemble' (both, averaged "
            "per annotator where that scores higher on held-out videos).",
        ),
    ] = "gbdt",
    reference: Annotated[
        int, typer.Option(help="The annotator with many videos that trains the reference model.")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed; same data and seed, same model.")] = 0,
    device: Annotated[
        str, typer.Option(help="Where the neural model trains: 'cpu' or 'cuda'.")
    ] = "cpu",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Boost the reference model on a Dask cluster (lightgbm.dask): its address "
            "(tcp://host:8786) or 'local:N'. Needs ethostyle[distributed].",
        ),
    ] = None,
) -> None:
    """Train the reference model and one style model per other annotator.

    The reference model learns from the reference annotator's videos; each other
    annotator's style model learns how that annotator departs from it, from its
    few videos. Writes MODEL_DIR/model.json and LightGBM text weights (no pickles).
    """
    from ethostyle.io import load
    from ethostyle.model_store import save_model
    from ethostyle.styles import StyleTransferModel

    if model not in ("gbdt", "tcn", "ensemble"):
        raise EthostyleError(
            f"--model {model!r}: unknown model family; choose 'gbdt', 'tcn' or 'ensemble'"
        )
    if scheduler is not None and model != "gbdt":
        raise EthostyleError("--scheduler trains the 'gbdt' model only; drop --model or it")
    _check_output(out, directory=True)
    dataset = load(train_file)
    console.print(
        f"training on {len(dataset)} sequences, {dataset.n_frames} frames, "
        f"annotators {dataset.annotators}",
        highlight=False,
    )
    with _progress() as progress:
        if model != "gbdt":
            fitted = _neural_family(model, reference, seed, device).fit(dataset, progress=progress)
        elif scheduler is None:
            fitted = StyleTransferModel(reference_annotator=reference, seed=seed).fit(
                dataset, progress=progress
            )
        else:
            from ethostyle.distributed import fit_on_cluster

            fitted = fit_on_cluster(
                dataset, scheduler, reference_annotator=reference, seed=seed, progress=progress
            )
    save_model(fitted, out, extra={"training_data": _fingerprint(train_file, dataset)})
    if isinstance(fitted, StyleTransferModel):
        _print_styles(fitted)
    console.print(f"wrote model: {out}")


def _neural_family(model: str, reference: int, seed: int, device: str) -> Any:
    """An unfitted 'tcn' or 'ensemble' model (PyTorch is imported only here)."""
    from ethostyle.models.tcn import TCNStyleTransfer
    from ethostyle.styles import StyleTransferModel

    tcn = TCNStyleTransfer(reference_annotator=reference, seed=seed, device=device)
    if model == "tcn":
        return tcn
    from ethostyle.models.ensemble import EnsembleStyleTransfer

    gbdt = StyleTransferModel(reference_annotator=reference, seed=seed)
    return EnsembleStyleTransfer(gbdt, tcn, seed=seed)


def _fingerprint(path: Path, dataset: Any) -> dict[str, Any]:
    """What a model was trained on, for its manifest."""
    return {
        "file": str(path),
        "sequences": len(dataset),
        "frames": dataset.n_frames,
        "annotators": list(dataset.annotators),
    }


def _print_styles(model: Any) -> None:
    from ethostyle.data import BEHAVIORS

    table = Table(title="styles learned")
    for column in ("annotator", "videos", "frames", "share of the style's change applied"):
        table.add_column(column)
    table.add_row(str(model.reference_annotator), "", "", "reference")
    for annotator, style in sorted(model.styles_.items()):
        weights = [
            f"{name} {weight:.2f}"
            for name, weight in zip(BEHAVIORS, style.evidence, strict=False)
            if weight > 0 and style.booster is not None
        ]
        table.add_row(
            str(annotator),
            str(style.n_videos),
            str(style.n_frames),
            ", ".join(weights) or "none (reference style)",
        )
    console.print(table)


@app.command()
@_friendly_errors
def predict(
    model_dir: Annotated[Path, typer.Argument(help="A model directory from `ethostyle train`.")],
    test_files: Annotated[
        list[Path],
        typer.Argument(
            help="Sequences to label (test.npy layout); with several files, --out, "
            "--probabilities and --bouts name folders that get one file per input."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Submission file to write (.npy).")],
    probabilities: Annotated[
        Path | None,
        typer.Option("--probabilities", help="Also write per-frame probabilities (.npz)."),
    ] = None,
    bouts: Annotated[
        Path | None, typer.Option("--bouts", help="Also write the predicted bouts (.csv).")
    ] = None,
    style: Annotated[
        int | None,
        typer.Option(
            "--style", help="Label every sequence in this annotator's style, not its own."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Spread the work over a Dask cluster: its address (tcp://host:8786), or "
            "'local:N' for N processes here. Needs ethostyle[distributed].",
        ),
    ] = None,
) -> None:
    """Label every sequence in the style of the annotator named by its annotator_id.

    An annotator the model has no style for gets the reference style and a
    warning naming it. Outputs are written atomically: complete or not at all.
    With --scheduler the outputs are the same files, computed on a Dask cluster.
    """
    from ethostyle.io import load, save_submission
    from ethostyle.model_store import load_model
    from ethostyle.predictions import predict_dataset, write_bouts_csv, write_probabilities

    if len(test_files) > 1:
        _predict_many(model_dir, test_files, out, probabilities, bouts, style, scheduler)
        return
    for path in (out, probabilities, bouts):
        if path is not None:
            _check_output(path, directory=False)
    dataset = load(test_files[0])
    if scheduler is None:
        fitted = load_model(model_dir)
        with _progress() as progress:
            result = predict_dataset(fitted, dataset, style=style, progress=progress)
    else:
        from ethostyle.distributed import connect, predict_dataset_on_cluster

        with connect(scheduler) as client, _progress() as progress:
            result = predict_dataset_on_cluster(
                model_dir, dataset, client, style=style, progress=progress
            )
    save_submission(result.labels, out)
    console.print(f"wrote submission: {out}")
    if probabilities is not None:
        write_probabilities(result.proba, probabilities)
        console.print(f"wrote probabilities: {probabilities}")
    if bouts is not None:
        write_bouts_csv(result, bouts)
        console.print(f"wrote bouts: {bouts}")


def _predict_many(
    model_dir: Path,
    files: list[Path],
    out: Path,
    probabilities: Path | None,
    bouts: Path | None,
    style: int | None,
    scheduler: str | None,
) -> None:
    """`predict` with several input files: one output of each kind per file, in folders."""
    from ethostyle.distributed import predict_files

    for path in (out, probabilities, bouts):
        if path is not None:
            _check_output(path, directory=True)
    with _progress() as progress:
        written = predict_files(
            model_dir,
            files,
            out,
            scheduler,
            style=style,
            probabilities_dir=probabilities,
            bouts_dir=bouts,
            progress=progress,
        )
    for outputs in written:
        console.print(f"wrote {outputs.submission}")


@app.command()
@_friendly_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for everything the demo writes.")
    ] = Path("demo-output"),
    preset: Annotated[
        str, typer.Option(help="Simulated data set: 'calms21-task2-like' (default) or 'tiny'.")
    ] = "calms21-task2-like",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """The main job on the built-in simulated data: simulate, train, predict, evaluate.

    Prints the challenge table of the style models beside the style-blind
    reference model (every sequence labelled as annotator 0 would).
    """
    from ethostyle.demo import run_demo

    with _progress() as progress:
        result = run_demo(out, preset=preset, seed=seed, progress=progress)
    _print_score_table(result.reference_score, "style-blind reference model (annotator 0's style)")
    _print_score_table(result.style_score, "style models (each sequence in its annotator's style)")
    for name, path in result.paths.items():
        if name in ("train", "test", "test_labels", "model", "submission", "report_report"):
            console.print(f"{name.removeprefix('report_')}: {path}", highlight=False)
    summary = result.paths.get("report_summary")
    if summary is not None:
        console.print(summary.read_text(), highlight=False)
    gain = result.style_score.f1 - result.reference_score.f1
    console.print(
        f"Task 2 F1: style models {result.style_score.f1:.3f}, style-blind "
        f"{result.reference_score.f1:.3f} ({gain:+.3f})",
        highlight=False,
    )
    console.print(
        f"task2_f1={result.style_score.f1:.6f} task2_precision={result.style_score.precision:.6f}",
        highlight=False,
    )


def _print_score_table(score: Any, title: str = "MABe 2021 Task 2 score") -> None:
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


# Command groups kept in their own modules register on `app` when imported (one line each).
from ethostyle import (  # noqa: E402
    _cli_compare,  # noqa: F401  (compare, compare-labels)
    _cli_lab,  # noqa: F401  (import-pose, import-labels, export-boris)
)
