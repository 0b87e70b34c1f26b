"""``ethostyle compare`` and ``ethostyle compare-labels``: where do annotators disagree?

Both write the same report folder (see :func:`ethostyle.report.write_report`):
``disagreement.csv``, ``summary.md``, PNG figures and a self-contained
``report.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ethostyle.cli import _friendly_errors, _progress, app, console

if TYPE_CHECKING:
    from ethostyle.compare import Comparison

__all__: list[str] = []

_OUT_HELP = "Folder for the report (disagreement.csv, summary.md, figures, report.html)."
_VIDEO_HELP = "Video drawn in the ethogram (a sequence id); the first one by default."


def _print_result(comparison: Comparison, paths: dict[str, Path]) -> None:
    for annotator, sentences in comparison.summaries.items():
        console.print(
            f"[bold]annotator {annotator}[/] vs annotator {comparison.reference}:", highlight=False
        )
        for sentence in sentences:
            console.print(f"  - {sentence}", highlight=False)
    console.print(
        f"no-difference thresholds: {comparison.no_difference.describe(comparison.fps)}",
        highlight=False,
    )
    console.print(f"wrote {paths['disagreement']}", highlight=False)
    console.print(f"wrote {paths['report']}", highlight=False)


@app.command("compare")
@_friendly_errors
def compare(
    model_dir: Annotated[Path, typer.Argument(help="A trained model folder (ethostyle train).")],
    sequences: Annotated[
        Path,
        typer.Argument(
            help="Videos to label in every style: a test.npy or train.npy file, or CalMS21 .json."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help=_OUT_HELP)],
    reference: Annotated[
        int | None,
        typer.Option(help="Annotator to compare every other style with (default: the model's)."),
    ] = None,
    video: Annotated[str | None, typer.Option(help=_VIDEO_HELP)] = None,
) -> None:
    """Label the same videos in every annotator's style and show where the styles disagree.

    For each annotator and behaviour, against the reference annotator: share of
    frames, bouts per minute, bout length, how much earlier or later bouts start
    and end, bouts only one side has, frame and bout F1, and the pose features
    (nose-to-intruder distance, speed, facing angle) on the frames each style
    labels. When the videos carry labels, the report adds the challenge score of
    each video labelled in its own annotator's style.
    """
    from ethostyle.compare import compare_model, own_style_score
    from ethostyle.io import load
    from ethostyle.model_store import load_model
    from ethostyle.report import write_report

    model = load_model(model_dir)
    dataset = load(sequences)
    with _progress() as progress:
        comparison = compare_model(model, dataset, reference=reference, progress=progress)
    score = own_style_score(comparison, dataset) if dataset.is_labelled else None
    paths = write_report(
        out,
        comparison,
        score,
        title="Where do annotators disagree?",
        sequence_id=video,
        notes=[f"Videos: {sequences}; every style labelled by the model in {model_dir}."],
    )
    _print_result(comparison, paths)


@app.command("compare-labels")
@_friendly_errors
def compare_labels(
    labels: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "One labels file per annotator, all of the same videos: train layout (e.g. "
                "shared_annotator1.npy; annotator id from the file) or {id: labels} .npy "
                "(annotator id = position in this list, from 0)."
            )
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help=_OUT_HELP)],
    reference: Annotated[int, typer.Option(help="Annotator to compare every other one with.")] = 0,
    video: Annotated[str | None, typer.Option(help=_VIDEO_HELP)] = None,
) -> None:
    """Show where several annotators' own labels of the same videos disagree.

    The same measures as `ethostyle compare`, on real labels instead of a model's.
    Pose features are compared when the files hold poses (train layout).
    """
    from ethostyle.compare import compare_labels as run_compare
    from ethostyle.compare import read_label_files
    from ethostyle.report import write_report

    files = read_label_files(labels)
    for annotator, path in sorted(files.sources.items()):
        console.print(f"annotator {annotator}: {path}", highlight=False)
    comparison = run_compare(
        files.labels,
        files.poses_for(reference),
        reference=reference,
        source="the annotators' own labels",
    )
    paths = write_report(
        out,
        comparison,
        title="Where do annotators disagree?",
        sequence_id=video,
        notes=[f"Label files: {', '.join(str(p) for p in labels)}."],
    )
    _print_result(comparison, paths)
