"""``ethostyle suggest``: the minutes of video worth labelling next for one annotator."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ethostyle.cli.app import (
    app,
    check_model_first,
    check_output,
    console,
    friendly_errors,
    progress_bars,
)

if TYPE_CHECKING:
    import numpy as np

    from ethostyle.data import Dataset
    from ethostyle.models.base import StylePredictor
    from ethostyle.models.suggest import Stretch
    from ethostyle.progress import Progress
    from ethostyle.video import VideoInfo

__all__: list[str] = []

_VIDEOS_HELP = (
    "The lab's video files, to watch each stretch as a clip in OUT/clips (the pose drawn over "
    "the footage, the style's and the reference's labels above it): a folder whose videos are "
    "named by sequence id (videoA.mp4; .mp4, .avi, .mov, .mkv, ... in any case) or a CSV with "
    "columns sequence_id,video (paths relative to the CSV's folder). Each video is checked "
    "against its poses first."
)


@app.command()
@friendly_errors
def suggest(
    model_dir: Annotated[
        Path, typer.Argument(help="A model directory from `ethostyle train` or `adapt`.")
    ],
    videos: Annotated[
        list[Path],
        typer.Argument(
            help="Pose files of the videos to choose from (test.npy layout, or a train file: "
            "frames the annotator already labelled are never suggested)."
        ),
    ],
    annotator: Annotated[
        int,
        typer.Option("--annotator", help="Whose style to learn more of (an annotator id)."),
    ],
    minutes: Annotated[
        float, typer.Option("--minutes", help="How many minutes of video to label.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for the files to label.")],
    stretch: Annotated[
        float,
        typer.Option("--stretch", help="Seconds per stretch, 10-30."),
    ] = 20.0,
    labelled: Annotated[
        list[Path] | None,
        typer.Option(
            "--labelled",
            help="A labelled file (e.g. the one the model was trained on): frames the "
            "annotator labelled there are not suggested again. Repeat for several.",
        ),
    ] = None,
    footage_source: Annotated[Path | None, typer.Option("--videos", help=_VIDEOS_HELP)] = None,
) -> None:
    """Choose the stretches of video whose labels would most change an annotator's style.

    Stretches are scored where the edits of the annotator's style disagree, where
    the style and the reference disagree, and where the reference is unsure. OUT
    gets stretches.csv (the stretches, best first, and why), to_label.csv (a bout
    table: frames outside the stretches are 'unlabelled'; add a row per bout you see
    in a stretch) and boris/<video>.boris.xlsx (import into BORIS, code the
    stretches, export the aggregated events). Import either with `ethostyle
    import-labels`, then `ethostyle adapt` again. With --videos, OUT/clips gets one
    clip per stretch, to watch while labelling.
    """
    from ethostyle.io import load_many
    from ethostyle.models.store import load_model
    from ethostyle.models.suggest import suggest_stretches
    from ethostyle.models.suggest_files import write_suggestions

    check_model_first(
        "suggest MODEL_DIR VIDEOS... --annotator N --minutes M --out DIR", model_dir, videos
    )
    check_output(out, directory=True)
    model = load_model(model_dir)
    dataset = load_many(videos)
    done = load_many(labelled) if labelled else None
    footage = None if footage_source is None else _open_videos(footage_source, dataset)
    with progress_bars() as progress:
        stretches = suggest_stretches(
            model,
            dataset,
            annotator,
            minutes,
            stretch_s=stretch,
            labelled=done,
            progress=progress,
        )
        written = write_suggestions(stretches, dataset, out)
        written += _clips(model, dataset, annotator, stretches, footage, out, progress)
    total = sum(s.seconds for s in stretches) / 60
    console.print(
        f"{len(stretches)} stretch(es), {total:.1f} min of {len(dataset)} video(s) for "
        f"annotator {annotator}:",
        highlight=False,
    )
    for s in stretches[:10]:
        console.print(
            f"  {s.sequence} {s.start / 30:.1f}-{s.stop / 30:.1f} s: {s.why()}", highlight=False
        )
    console.print(f"wrote {len(written)} file(s) to {out}", highlight=False)


def _open_videos(source: Path, dataset: Dataset) -> dict[str, VideoInfo]:
    """Every video's file, checked against its poses before any scoring (as ``compare``)."""
    from ethostyle.video import open_videos

    frames = {seq.id: seq.n_frames for seq in dataset}
    return open_videos(source, frames, {seq.id: seq.video_fps for seq in dataset})


def _clips(
    model: StylePredictor,
    dataset: Dataset,
    annotator: int,
    stretches: list[Stretch],
    footage: dict[str, VideoInfo] | None,
    out: Path,
    progress: Progress,
) -> list[Path]:
    """One clip per stretch in OUT/clips (none without --videos), the reference's and
    the style's labels above it."""
    from ethostyle.report.clips import write_stretch_clips

    if footage is None:
        return []

    reference = model.reference_annotator
    labels: dict[int, dict[str, np.ndarray]] = {reference: {}, annotator: {}}
    for sid in dict.fromkeys(s.sequence for s in stretches):  # the videos with a stretch
        styles = model.labels_in_styles(dataset[sid], [reference, annotator])
        for who in labels:
            labels[who][sid] = styles[who][0]
    return write_stretch_clips(
        [(s.sequence, s.start, s.stop) for s in stretches],
        labels,
        dataset,
        footage,
        out / "clips",
        progress=progress,
    )
