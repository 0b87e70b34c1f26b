"""Commands on data files: ``simulate``, ``render-videos``, ``validate``, ``evaluate``, ``demo``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ethostyle.cli.app import (
    app,
    check_output,
    console,
    friendly_errors,
    print_score_table,
    progress_bars,
)
from ethostyle.errors import EthostyleError

__all__ = ["demo", "evaluate", "render_videos", "simulate", "validate"]

#: The simulation presets (``ethostyle.simulate.PRESETS``), listed in the help.
_PRESETS = "calms21-task2-like|tiny"


@app.command()
@friendly_errors
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    preset: Annotated[
        str,
        typer.Option(
            metavar=_PRESETS, help="Data set size: 'calms21-task2-like' (default) or 'tiny'."
        ),
    ] = "calms21-task2-like",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    layout: Annotated[
        str,
        typer.Option(
            metavar="combined|mabe2021",
            help="Which files: 'combined' (default: one train.npy of every annotator, plus "
            "each annotator's labels of shared videos) or 'mabe2021' (the challenge's own "
            "files: task1/train.npy of annotator 0, task2/train.npy of annotators 1-5, one "
            "shared test.npy).",
        ),
    ] = "combined",
) -> None:
    """Make a simulated CalMS21-like data set with known annotator styles.

    Writes train.npy (annotator 0 plus a few videos of annotators 1-5), test.npy
    (unlabelled), test_labels.npy (the answers) and sample_submission.npy; with
    --layout mabe2021, the challenge's Task 1 and Task 2 training files instead of
    train.npy.
    """
    from ethostyle.simulate import LAYOUTS, write_simulation
    from ethostyle.simulate import simulate as run_simulation

    if layout not in LAYOUTS:
        raise EthostyleError(f"--layout {layout!r}: choose {' or '.join(map(repr, LAYOUTS))}")
    check_output(out, directory=True)
    sim = run_simulation(preset, seed=seed)
    paths = write_simulation(sim, out, layout=layout)
    for name, path in paths.items():
        console.print(f"wrote {name}: {path}", highlight=False)


@app.command("render-videos")
@friendly_errors
def render_videos(
    poses: Annotated[
        Path,
        typer.Argument(help="Poses to draw: a train.npy or test.npy file, or CalMS21 .json."),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the videos: one <sequence id>.mp4 each.")
    ],
    fps: Annotated[
        float | None,
        typer.Option(
            help="Frame rate of the videos (default: each sequence's own, as recorded by "
            "import-pose --fps, else 30)."
        ),
    ] = None,
) -> None:
    """Draw each sequence's poses as a small top-view video (MP4, 320 px wide).

    For data without footage, such as the simulator's: each mouse is drawn from its
    keypoints (resident black, intruder white), one video per sequence, named by its
    id, so that `ethostyle compare ... --videos FOLDER` can show the episodes as clips.
    """
    from ethostyle.io import load
    from ethostyle.video import render_videos as run_render

    check_output(out, directory=True)
    dataset = load(poses)
    with progress_bars() as progress:
        written = run_render(dataset, out, fps=fps, progress=progress)
    console.print(f"wrote {len(written)} video(s) in {out}", highlight=False)


@app.command()
@friendly_errors
def validate(
    file: Annotated[
        Path, typer.Argument(help="A train, test, labels or submission .npy, or CalMS21 .json.")
    ],
    test: Annotated[
        Path | None, typer.Option("--test", help="The test file a submission must match.")
    ] = None,
) -> None:
    """Say what a data file is and what, if anything, is wrong with it."""
    from ethostyle.io import find_problems

    report = find_problems(file, test)
    console.print(report.summary(), highlight=False)
    if report.problems:
        raise EthostyleError(f"{file}: {len(report.problems)} problem(s) found (listed above)")


@app.command()
@friendly_errors
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
    last line is machine-readable, e.g. task2_f1=0.812345 task2_precision=0.790123.
    """
    from ethostyle.errors import DataFormatError
    from ethostyle.io.dispatch import check_argument_order
    from ethostyle.metrics import evaluate_files

    if json_out is not None:
        check_output(json_out, directory=False)
    if report is not None:
        check_output(report, directory=True)
    try:
        score = evaluate_files(submission, test, labels)
    except DataFormatError:
        check_argument_order(
            "evaluate SUBMISSION TEST LABELS",
            [
                ("SUBMISSION", submission, {"labels"}),
                ("TEST", test, {"test", "train"}),
                ("LABELS", labels, {"labels", "train"}),
            ],
        )
        raise
    print_score_table(score)
    if json_out is not None:
        from ethostyle.atomic import atomic_write_path

        with atomic_write_path(json_out) as tmp:
            tmp.write_text(json.dumps(score.to_dict(), indent=2))
    if report is not None:
        from ethostyle.report import write_report

        written = write_report(report, score=score, title=f"ethostyle evaluate: {submission.name}")
        console.print(f"wrote report: {written['report']}", highlight=False)
    # The score is the command's result, not a message: --quiet keeps it (on stdout).
    typer.echo(f"task2_f1={score.f1:.6f} task2_precision={score.precision:.6f}")


@app.command()
@friendly_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for everything the demo writes.")
    ] = Path("demo-output"),
    preset: Annotated[
        str,
        typer.Option(
            metavar=_PRESETS, help="Simulated data set: 'calms21-task2-like' (default) or 'tiny'."
        ),
    ] = "calms21-task2-like",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """The main job on the built-in simulated data: simulate, train, predict, evaluate.

    Prints the challenge table of the style models beside the style-blind
    reference model (every sequence labelled as annotator 0 would).
    """
    from ethostyle.demo import run_demo

    check_output(out, directory=True)
    with progress_bars() as progress:
        result = run_demo(out, preset=preset, seed=seed, progress=progress)
    print_score_table(result.reference_score, "style-blind reference model (annotator 0's style)")
    print_score_table(result.style_score, "style models (each sequence in its annotator's style)")
    shown = ("train", "test", "test_labels", "model", "submission", "videos", "report_report")
    for name, path in result.paths.items():
        if name in shown:
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
