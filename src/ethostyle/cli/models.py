"""Commands on models: ``train`` and ``predict``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ethostyle.cli.app import (
    app,
    check_output,
    console,
    friendly_errors,
    progress_bars,
)
from ethostyle.errors import EthostyleError

__all__ = ["predict", "train"]

#: ``--unlabelled`` of ``train`` and ``adapt``.
UnlabelledFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--unlabelled",
        help="Pose-only file(s) to self-train on, such as the challenge's test.npy "
        "(repeat the option for several); their labels, if any, are not used.",
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
    unlabelled: UnlabelledFiles = None,
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
    from ethostyle.io import load_many
    from ethostyle.models import FAMILIES, make_model
    from ethostyle.models.boosted import StyleTransferModel
    from ethostyle.models.store import save_model

    if model not in FAMILIES:
        raise EthostyleError(
            f"--model {model!r}: unknown model family; choose 'gbdt', 'tcn' or 'ensemble'"
        )
    if scheduler is not None and model != "gbdt":
        raise EthostyleError("--scheduler trains the 'gbdt' model only; drop --model or it")
    if unlabelled and (model != "gbdt" or scheduler is not None):
        raise EthostyleError(
            "--unlabelled self-trains the 'gbdt' model on this machine only; drop "
            "--unlabelled, or --model and --scheduler"
        )
    check_output(out, directory=True)
    dataset = load_many(train_files)
    pose_only = _unlabelled(unlabelled)
    console.print(
        f"training on {len(dataset)} sequences, {dataset.n_frames} frames, "
        f"annotators {dataset.annotators}",
        highlight=False,
    )
    with progress_bars() as progress:
        if scheduler is None:
            params = {"reference_annotator": reference, "seed": seed}
            if model != "gbdt":
                params["device"] = device
            extra = {} if pose_only is None else {"unlabelled": pose_only}
            fitted = make_model(model, **params).fit(dataset, progress=progress, **extra)
        else:
            from ethostyle.distributed import fit_on_cluster

            fitted = fit_on_cluster(
                dataset, scheduler, reference_annotator=reference, seed=seed, progress=progress
            )
    fingerprint = {"training_data": _fingerprint(train_files, dataset)}
    if pose_only is not None:
        fingerprint["unlabelled_data"] = _fingerprint(unlabelled, pose_only)
    save_model(fitted, out, extra=fingerprint)
    if isinstance(fitted, StyleTransferModel):
        _print_self_training(fitted, used=False)
        _print_styles(fitted)
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
    from ethostyle.models.boosted import StyleTransferModel
    from ethostyle.models.store import load_checked, read_manifest, save_model

    check_output(out, directory=True)
    manifest = read_manifest(model_dir)
    fitted = load_checked(model_dir, manifest)  # every family adapts
    dataset = load_many(train_files)
    pose_only = _unlabelled(unlabelled)
    console.print(
        f"adapting to {len(dataset)} sequences, {dataset.n_frames} frames, "
        f"annotators {dataset.annotators}",
        highlight=False,
    )
    with progress_bars() as progress:
        fitted.adapt(dataset, unlabelled=pose_only, progress=progress)
    fingerprint = {
        "training_data": manifest.get("training_data"),
        "adapted_on": _fingerprint(train_files, dataset),
    }
    if pose_only is not None:
        fingerprint["unlabelled_data"] = _fingerprint(unlabelled, pose_only)
    save_model(fitted, out, extra=fingerprint)
    if isinstance(fitted, StyleTransferModel):
        _print_self_training(fitted, used=pose_only is not None)
        _print_styles(fitted)
    else:
        _print_rules(fitted.describe_styles())
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


def _print_self_training(model: Any, *, used: bool) -> None:
    """How many unlabelled frames each self-trained model took as pseudo-labels."""
    from ethostyle.models.self_training import CONFIDENCE

    record = getattr(model, "self_training_", {})
    taken = {k: v for k, v in record.items() if k.endswith("_pseudo_labelled_frames")}
    for key, count in taken.items():
        name = key.removesuffix("_pseudo_labelled_frames")
        who = "the reference" if name == "reference" else f"annotator {name.split('_')[1]}'s style"
        console.print(
            f"self-training: {who} took {count} of {record[name + '_unlabelled_frames']} "
            f"unlabelled frames as pseudo-labels (top probability >= {CONFIDENCE})",
            highlight=False,
        )
    if used and not any(k.startswith("style_") for k in taken):
        console.print(
            "self-training: no style kept a boosted residual, so the unlabelled videos "
            "changed nothing (the reference is not retrained by adapt)"
        )


def _fingerprint(paths: list[Path], dataset: Any) -> dict[str, Any]:
    """What a model was trained on, for its manifest."""
    return {
        "files": [str(p) for p in paths],
        "sequences": len(dataset),
        "frames": dataset.n_frames,
        "annotators": list(dataset.annotators),
    }


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
    _print_rules(model.describe_styles())


def _print_rules(rules: dict[int, list[str]]) -> None:
    console.print("[bold]Learned rules[/]")
    for _, statements in sorted(rules.items()):
        for statement in statements:
            console.print(f"  {escape(statement)}", highlight=False)
    if not any(rules.values()):
        console.print("  none: every annotator labels as the reference annotator does")


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
    (held-out F1 gain +0.040)". An annotator labelled as the reference has no rule.
    """
    from ethostyle.models.store import load_model

    fitted = load_model(model_dir)  # every family decodes through style programs
    if json_out:
        typer.echo(json.dumps(fitted.style_records(), indent=2))
        return
    _print_rules(fitted.describe_styles(px_per_cm=px_per_cm))


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
    fps: Annotated[
        float | None,
        typer.Option(
            "--fps",
            help="Write the --out labels at this frame rate, one per frame of the original "
            "video (e.g. 25 for videos imported with `import-pose --fps 25`), instead of 30 Hz; "
            "such a file is not a challenge submission. The --bouts CSV's times in seconds "
            "hold at any rate.",
        ),
    ] = None,
) -> None:
    """Label every sequence in the style of the annotator named by its annotator_id.

    A sequence whose annotator the model has no style for gets the reference
    style and a warning naming it; --style must name an annotator the model has.
    Outputs are written atomically: complete or not at all. With --scheduler the
    outputs are the same files, computed on a Dask cluster.
    """
    from ethostyle.io import load, save_submission, write_bouts_csv, write_probabilities
    from ethostyle.models.base import predict_dataset
    from ethostyle.models.store import load_model

    if fps is not None and not fps > 0:
        raise EthostyleError(f"--fps {fps:g}: give the video's frame rate, a positive number")
    fitted = None
    if style is not None:
        fitted = load_model(model_dir)
        _check_style(fitted, style)
    if len(test_files) > 1:
        if fps is not None:
            raise EthostyleError("--fps labels one file at a time; give one test file")
        _predict_many(model_dir, test_files, out, probabilities, bouts, style, scheduler)
        return
    for path in (out, probabilities, bouts):
        if path is not None:
            check_output(path, directory=False)
    dataset = load(test_files[0])
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
        write_bouts_csv(result, bouts)
        console.print(f"wrote bouts: {bouts}")


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
