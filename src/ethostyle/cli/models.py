"""Commands on models: ``train``, ``adapt``, ``describe-style`` and ``predict``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ethostyle.cli.app import (
    EXIT_SKIPPED,
    app,
    check_model_first,
    check_output,
    console,
    err_console,
    friendly_errors,
    progress_bars,
)
from ethostyle.errors import EthostyleError

__all__ = ["adapt", "describe_style", "predict", "train"]

#: ``--unlabelled`` of ``train`` and ``adapt``.
UnlabelledFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--unlabelled",
        help="Pose-only file(s) to self-train on, such as the challenge's test.npy "
        "(repeat the option for several); their labels, if any, are not used.",
    ),
]
#: ``--scheduler`` and ``--reference-stack`` of ``train``, declared here to keep it short.
_SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Boost the reference model on a Dask cluster (lightgbm.dask): its address "
        "(tcp://host:8786) or 'local:N'. Needs ethostyle[distributed].",
    ),
]
_ReferenceStackOption = Annotated[
    int,
    typer.Option(
        "--reference-stack",
        metavar="K",
        help="0 (the default): the reference is one LightGBM. 2 or more: a stacked reference, "
        "K LightGBMs on folds of the reference annotator's videos and a second one that "
        "reads how their scores move over time. It takes about 1.3 times as long to "
        "train and 1.4 times as long to predict. On simulated data the reference "
        "annotator's own F1 rose by 0.007-0.011 and Task 2 F1 by 0.004-0.006, but one "
        "single-video style fell far on one seed, so it is not the default "
        "(benchmarks/README.md). Not with --unlabelled or --scheduler.",
    ),
]


@app.command()
@friendly_errors
def train(
    train_files: Annotated[
        list[Path],
        typer.Argument(
            help="Labelled training file(s) (train.npy layout or CalMS21 .json), used as one "
            "data set: e.g. the MABe 2021 Task 1 file, or the Task 1 and Task 2 files."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            metavar="gbdt|tcn|ensemble",
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
        str,
        typer.Option(metavar="cpu|cuda", help="Where the neural model trains: 'cpu' or 'cuda'."),
    ] = "cpu",
    scheduler: _SchedulerOption = None,
    unlabelled: UnlabelledFiles = None,
    reference_stack: _ReferenceStackOption = 0,
) -> None:
    """Train the reference model and one style model per other annotator.

    The reference model learns from the reference annotator's videos; each other
    annotator's style model learns how that annotator departs from it, from its
    few videos. Files with only the reference annotator give a reference-only
    model (add styles later with `ethostyle adapt`). Writes MODEL_DIR/model.json
    and LightGBM text weights (no pickles).

    With --unlabelled, the reference model labels those videos and is fitted again
    with its confident frames (self-training; off by default, see
    benchmarks/README.md for what it changed).
    """
    from ethostyle.distributed import reference_boosting
    from ethostyle.io import load_many
    from ethostyle.models import check_training_options, train_model

    check_training_options(
        model,
        unlabelled=bool(unlabelled),
        on_cluster=scheduler is not None,
        reference_stack=reference_stack,
    )
    check_output(out, directory=True)
    dataset = load_many(train_files)
    pose_only = _unlabelled(unlabelled)
    console.print(
        f"training on {len(dataset)} sequences, {dataset.n_frames} frames, "
        f"annotators {dataset.annotators}",
        highlight=False,
    )
    with progress_bars() as progress, reference_boosting(scheduler) as boost:
        trained = train_model(
            dataset,
            family=model,
            unlabelled=pose_only,
            reference_estimator=boost,
            files=train_files,
            unlabelled_files=unlabelled or (),
            reference_annotator=reference,
            seed=seed,
            device=device,
            progress=progress,
            **({"reference_stack": reference_stack} if reference_stack else {}),
        )
    trained.save(out)
    _print_trained(trained)
    console.print(f"wrote model: {out}")


@app.command()
@friendly_errors
def adapt(
    model_dir: Annotated[Path, typer.Argument(help="A model directory from `ethostyle train`.")],
    train_files: Annotated[
        list[Path],
        typer.Argument(
            help="Labelled file(s) of the annotators whose styles to learn (e.g. the MABe "
            "2021 Task 2 training file)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Model directory to write.")],
    unlabelled: UnlabelledFiles = None,
) -> None:
    """Learn more annotators' styles on top of a trained model's reference.

    The reference model is not retrained: labels in the reference annotator's
    style stay exactly as MODEL_DIR gives them. An annotator the model already
    has a style for gets a new one, with a warning naming it. This is the
    challenge's route: train on Task 1, adapt on Task 2.

    With --unlabelled, a style that keeps a boosted residual is fitted again with
    its confident labels of its own annotator's unlabelled videos (self-training).
    """
    from ethostyle.io import load_many
    from ethostyle.models import adapt_model

    check_output(out, directory=True)
    dataset = load_many(train_files)
    pose_only = _unlabelled(unlabelled)
    console.print(
        f"adapting to {len(dataset)} sequences, {dataset.n_frames} frames, "
        f"annotators {dataset.annotators}",
        highlight=False,
    )
    with progress_bars() as progress:
        adapted = adapt_model(
            model_dir,
            dataset,
            unlabelled=pose_only,
            files=train_files,
            unlabelled_files=unlabelled or (),
            progress=progress,
        )
    adapted.save(out)
    _print_trained(adapted)
    console.print(f"wrote model: {out}")


def _unlabelled(paths: list[Path] | None) -> Any:
    """The pose-only data set of ``--unlabelled`` (labels dropped), or None."""
    if not paths:
        return None
    from ethostyle.io import load_many

    dataset = load_many(paths)
    console.print(
        f"self-training on {len(dataset)} unlabelled sequences, {dataset.n_frames} frames",
        highlight=False,
    )
    return dataset.without_labels()


def _print_trained(trained: Any) -> None:
    """What self-training did, then the styles a model with style programs learned."""
    for statement in trained.self_training:
        console.print(f"self-training: {statement}", highlight=False)
    if hasattr(trained.model, "style_summary"):
        _print_styles(trained.model)
    else:  # every family states its style programs
        _print_rules(trained.model.describe_styles(), trained.model.reference_annotator)


def _print_styles(model: Any) -> None:
    """The styles a boosted model learned: a table, then every learned rule in words."""
    table = Table(title="styles learned")
    for column in ("annotator", "videos", "frames", "what its style changes"):
        table.add_column(column)
    for row in model.style_summary():
        videos = "" if row["videos"] is None else str(row["videos"])
        frames = "" if row["frames"] is None else str(row["frames"])
        table.add_row(str(row["annotator"]), videos, frames, row["changed"])
    console.print(table)
    _print_rules(model.describe_styles(), model.reference_annotator)


def _print_rules(rules: dict[int, list[str]], reference_annotator: int) -> None:
    """Every annotator's rules in words; a line for each annotator without one."""
    from ethostyle.models.program import annotator_lines

    console.print("[bold]Learned rules[/]")
    for line in annotator_lines(rules, reference_annotator):
        console.print(f"  {escape(line)}", highlight=False)


@app.command("describe-style")
@friendly_errors
def describe_style(
    model_dir: Annotated[Path, typer.Argument(help="A model directory from `ethostyle train`.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print one JSON record per learned edit instead.")
    ] = False,
    px_per_cm: Annotated[
        float | None,
        typer.Option(
            "--px-per-cm", min=1e-6, help="Pixels per centimetre of the videos: distances in cm."
        ),
    ] = None,
) -> None:
    """State each annotator's learned style as rules, with units and held-out F1 gains.

    Example: "Annotator 3 starts attack 0.6 s before the reference annotator does
    (held-out F1 gain +0.04)", then how many frames and bouts of the behaviour the rule
    changed on the videos it was learned from. An annotator labelled as the reference
    gets a line saying it has no rule. Every --json field: docs/styles.md.
    """
    from ethostyle.models.store import load_model

    fitted = load_model(model_dir)  # every family decodes through style programs
    if json_out:
        typer.echo(json.dumps(fitted.style_records(), indent=2))
        return
    _print_rules(fitted.describe_styles(px_per_cm=px_per_cm), fitted.reference_annotator)


#: ``predict``'s two longest options, declared here to keep the command short (issue 20).
_SkipBadOption = Annotated[
    bool,
    typer.Option(
        "--skip-bad",
        help="Label the sequences that read cleanly and skip any that cannot be read "
        "(every keypoint NaN, a wrong shape, ...): each skipped one is listed, and the "
        "command exits with status 3. Without it, one bad sequence stops the command.",
    ),
]
_OutputFpsOption = Annotated[
    float | None,
    typer.Option(
        "--fps",
        help="Write the --out labels at this frame rate, one per frame of the original "
        "video (e.g. 25 for videos imported with `import-pose --fps 25`), instead of 30 Hz; "
        "such a file is not a challenge submission. --bouts and --frames-csv count "
        "frames at this rate too.",
    ),
]


@app.command()
@friendly_errors
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
        Path | None,
        typer.Option(
            "--bouts",
            help="Also write the predicted bouts (.csv): one row per bout, frames at --fps "
            "(30 Hz without it) and an fps column.",
        ),
    ] = None,
    frames_csv: Annotated[
        Path | None,
        typer.Option(
            "--frames-csv",
            help="Also write every frame's prediction (.csv): sequence, annotator style, "
            "frame, time in seconds, label and each behaviour's probability; frames at --fps. "
            "One test file at a time.",
        ),
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
    skip_bad: _SkipBadOption = False,
    fps: _OutputFpsOption = None,
) -> None:
    """Label every sequence in the style of the annotator named by its annotator_id.

    Sequences whose annotator the model has no style for get the reference style
    and one warning naming them; --style must name an annotator the model has.
    Outputs are written atomically: complete or not at all. With --scheduler the
    outputs are the same files, computed on a Dask cluster. Exit status 3: done,
    but --skip-bad skipped sequences (listed).
    """
    from ethostyle.models.store import load_model

    if fps is not None and not fps > 0:
        raise EthostyleError(f"--fps {fps:g}: give the video's frame rate, a positive number")
    check_model_first("predict MODEL_DIR TEST_FILES... --out FILE", model_dir, test_files)
    fitted = None
    if style is not None:
        fitted = load_model(model_dir)
        _check_style(fitted, style)
    if len(test_files) > 1:
        if fps is not None or skip_bad or frames_csv is not None:
            option = "--fps" if fps is not None else "--skip-bad" if skip_bad else "--frames-csv"
            raise EthostyleError(f"{option} labels one file at a time; give one test file")
        _predict_many(model_dir, test_files, out, probabilities, bouts, style, scheduler)
        return
    _check_outputs(out, probabilities, bouts, frames_csv)
    dataset, skipped = _load_to_label(test_files[0], skip_bad=skip_bad)
    _check_scale(model_dir, dataset)  # mice at another pixel scale are refused
    result = _label(model_dir, dataset, fitted, style, scheduler)
    _write_outputs(result, out, probabilities, bouts, frames_csv, fps)
    if skipped:
        _exit_skipped(skipped, dataset)


def _check_outputs(
    out: Path, probabilities: Path | None, bouts: Path | None, frames_csv: Path | None
) -> None:
    """Refuse an output path that cannot be written or has the wrong suffix."""
    for option, path, suffix in (
        ("--out", out, ".npy"),
        ("--probabilities", probabilities, ".npz"),
        ("--bouts", bouts, ".csv"),
        ("--frames-csv", frames_csv, ".csv"),
    ):
        if path is not None:
            check_output(path, directory=False)
            _check_suffix(option, path, suffix)


def _label(
    model_dir: Path, dataset: Any, fitted: Any, style: int | None, scheduler: str | None
) -> Any:
    """Label ``dataset`` here (with ``fitted`` when already loaded) or on a Dask cluster."""
    from ethostyle.models.base import predict_dataset
    from ethostyle.models.store import load_model

    if scheduler is None:
        fitted = load_model(model_dir) if fitted is None else fitted
        with progress_bars() as progress:
            result = predict_dataset(fitted, dataset, style=style, progress=progress)
    else:
        from ethostyle.distributed import connect, predict_dataset_on_cluster

        with connect(scheduler) as client, progress_bars() as progress:
            result = predict_dataset_on_cluster(
                model_dir, dataset, client, style=style, progress=progress
            )
    return result


def _write_outputs(
    result: Any,
    out: Path,
    probabilities: Path | None,
    bouts: Path | None,
    frames_csv: Path | None,
    fps: float | None,
) -> None:
    """Write the labels (at ``fps`` when given) and each output asked for, saying so."""
    from ethostyle.io import save_submission, write_bouts_csv, write_probabilities

    if fps is None:
        save_submission(result.labels, out)
        console.print(f"wrote submission: {out}")
    else:
        from ethostyle.importers.pose import labels_at_fps
        from ethostyle.io import save_labels_npy

        save_labels_npy({k: labels_at_fps(v, fps) for k, v in result.labels.items()}, out)
        console.print(f"wrote labels at {fps:g} Hz: {out}", highlight=False)
    if probabilities is not None:
        write_probabilities(result.proba, probabilities)
        console.print(f"wrote probabilities: {probabilities}")
    if bouts is not None:
        write_bouts_csv(result, bouts, fps=fps)
        console.print(f"wrote bouts: {bouts}")
    if frames_csv is not None:
        from ethostyle.importers import write_frames_csv

        write_frames_csv(result, frames_csv, fps=fps)
        console.print(f"wrote per-frame predictions: {frames_csv}")


def _exit_skipped(skipped: list[str], dataset: Any) -> None:
    """List the sequences ``--skip-bad`` skipped and exit with :data:`EXIT_SKIPPED`."""
    err_console.print(
        f"[yellow]skipped {len(skipped)} sequence(s) that could not be read[/] (exit status "
        f"{EXIT_SKIPPED}); the outputs above hold the other {len(dataset)}, so --out is "
        "not a complete challenge submission:",
        highlight=False,
    )
    for problem in skipped:
        err_console.print(f"  - {escape(problem)}", highlight=False)
    raise typer.Exit(EXIT_SKIPPED)


def _check_scale(model_dir: Path, dataset: Any) -> None:
    """Refuse sequences whose mice are not at the scale the model was trained on (issue 19)."""
    from ethostyle.io.validation import check_scale
    from ethostyle.models.store import read_manifest

    trained = (read_manifest(model_dir).get("training_data") or {}).get("body_length_px")
    if trained is not None:
        check_scale(dataset, float(trained), f"the model {model_dir}")


#: What each output of ``predict`` is written as, for the hint of a refused suffix.
_FORMATS = {
    "--out": "the submission, a pickled {sequence id: labels} .npy as the challenge reads it",
    "--probabilities": "per-frame probabilities, one array per sequence in a numpy .npz archive",
    "--bouts": "a table of the predicted bouts",
    "--frames-csv": "a table of every frame's label and probabilities",
}


def _check_suffix(option: str, path: Path, suffix: str) -> None:
    """Refuse an output name whose suffix says another format than the one written."""
    if path.suffix.lower() == suffix:
        return
    others = {".npy": "--out", ".npz": "--probabilities", ".csv": "--bouts or --frames-csv"}
    other = others.get(path.suffix.lower())
    hint = f" ({path.suffix} is what {other} writes)" if other else ""
    raise EthostyleError(
        f"{option} {path}: {option} writes {_FORMATS[option]}; give a name ending in {suffix}{hint}"
    )


def _load_to_label(path: Path, *, skip_bad: bool) -> tuple[Any, list[str]]:
    """The sequences of ``path`` to label and, with ``skip_bad``, the messages of those skipped."""
    from ethostyle.errors import DataFormatError, UnsafeFileError
    from ethostyle.io import load
    from ethostyle.io.dispatch import load_readable

    if skip_bad:
        return load_readable(path)
    try:
        return load(path), []
    except UnsafeFileError:
        raise
    except DataFormatError as exc:
        if ", sequence " not in str(exc):
            raise
        raise DataFormatError(
            f"{exc}. To label the other sequences and list the bad ones, add --skip-bad"
        ) from None


def _check_style(model: Any, style: int) -> None:
    """Refuse a --style the model has no style for, listing the ones it has."""
    from ethostyle.errors import UnknownAnnotatorError

    known = model.annotators_
    if style not in known:
        raise UnknownAnnotatorError(
            f"--style {style}: annotator {style} has no style in this model (known: {known}); "
            "choose among those, or learn that annotator's style with `ethostyle adapt`"
        )


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
            check_output(path, directory=True)
    with progress_bars() as progress:
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
