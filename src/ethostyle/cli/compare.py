"""``ethostyle compare`` and ``ethostyle compare-labels``: where do annotators disagree?

Both write the same report folder (see :func:`ethostyle.report.write_report`):
``disagreement.csv``, ``episodes.csv``, ``pairwise.csv``, ``summary.md``, PNG
figures and a self-contained ``report.html``. ``--out``, ``--episodes`` and
``--video`` are checked before the work (:func:`ethostyle.report.check_report_options`), and
so are the files of ``--videos`` (:func:`ethostyle.video.open_videos`).
"""

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
    from collections.abc import Mapping

    import numpy as np

    from ethostyle.compare import Comparison
    from ethostyle.data import Dataset
    from ethostyle.progress import Progress
    from ethostyle.report.clips import EpisodeClip
    from ethostyle.video import VideoInfo

__all__: list[str] = []

_OUT_HELP = (
    "Folder for the report (report.html, disagreement.csv, differences.csv, episodes.csv, "
    "pairwise.csv, summary.md, figures)."
)
_VIDEO_HELP = (
    "Sequence id of the video drawn in the ethogram (an id such as videoA, not a file; for "
    "video files see --videos); by default the one whose labels differ most from the "
    "reference's."
)
_VIDEOS_HELP = (
    "The lab's video files, to watch the longest episodes of each kind as clips in the report "
    "(the pose drawn over the footage, both annotators' labels above it): a folder whose "
    "videos are named by sequence id (videoA.mp4; .mp4, .avi, .mov, .mkv, ... in any case) or "
    "a CSV with columns sequence_id,video (paths relative to the CSV's folder). Each video is "
    "checked against its poses first."
)
_MIN_EPISODE_HELP = (
    "Shortest stretch, in seconds, where two annotators' labels differ that counts as an "
    "episode (episodes.csv)."
)
_EPISODES_HELP = (
    "Episodes shown in the report per annotator and kind, the longest first (all are in "
    "episodes.csv); at least 1."
)

_PX_PER_CM_HELP = (
    "Pixels per centimetre of the videos: pose distances and speeds in cm and cm/s in the "
    "tables, sentences and report (default: px and px/s)."
)

MinEpisode = Annotated[float, typer.Option("--min-episode-s", help=_MIN_EPISODE_HELP)]
PxPerCm = Annotated[float | None, typer.Option("--px-per-cm", help=_PX_PER_CM_HELP)]
Episodes = Annotated[int, typer.Option("--episodes", help=_EPISODES_HELP)]
Videos = Annotated[Path | None, typer.Option("--videos", help=_VIDEOS_HELP)]


def _print_result(comparison: Comparison, paths: dict[str, Path]) -> None:
    for annotator, sentences in comparison.summaries.items():
        console.print(
            f"[bold]annotator {annotator}[/] vs annotator {comparison.reference}:", highlight=False
        )
        for sentence in sentences:
            console.print(f"  - {sentence}", highlight=False)
    console.print(
        "no-difference thresholds: "
        + comparison.no_difference.describe(comparison.fps, comparison.feature_specs),
        highlight=False,
    )
    kinds = comparison.episodes["kind"].value_counts()
    counted = ", ".join(f"{kinds[k]} {k}" for k in kinds.index)
    console.print(
        f"{len(comparison.episodes)} disagreement episodes of {comparison.min_episode_s:g} s or "
        f"more between every pair of annotators ({counted or 'none'})",
        highlight=False,
    )
    for role in ("disagreement", "differences", "episodes", "pairwise", "report"):
        console.print(f"wrote {paths[role]}", highlight=False)


@app.command("compare")
@friendly_errors
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
    min_episode_s: MinEpisode = 0.5,
    episodes: Episodes = 5,
    px_per_cm: PxPerCm = None,
    videos: Videos = None,
) -> None:
    """Label the same videos in every annotator's style and show where the styles disagree.

    For each annotator and behaviour, against the reference annotator: share of
    frames, bouts per minute, bout length, how much earlier or later bouts start
    and end, bouts only one side has, frame and bout F1, and the pose features
    (nose-to-intruder distance, speed, facing angle) on the frames each style
    labels. It lists the episodes (stretches of --min-episode-s or more) where two
    styles label differently, with pose snapshots of the longest (and, with --videos,
    clips of them), and the agreement (Cohen's kappa, frame and bout F1) of every
    pair of annotators. When the videos carry labels, the report adds the challenge
    score of each video labelled in its own annotator's style.
    """
    from ethostyle.compare import (
        checked_px_per_cm,
        compare_model,
        min_episode_frames,
        own_style_score,
    )
    from ethostyle.io import load
    from ethostyle.models.store import load_model
    from ethostyle.report import check_report_options, write_report

    check_model_first("compare MODEL_DIR SEQUENCES --out FOLDER", model_dir, [sequences])
    check_report_options(out, n_episodes=episodes)
    check_output(out, directory=True)
    min_episode_frames(min_episode_s)
    checked_px_per_cm(px_per_cm)
    model = load_model(model_dir)
    dataset = load(sequences)
    check_report_options(out, n_episodes=episodes, sequence_id=video, sequence_ids=dataset.ids)
    footage = None if videos is None else _open_videos(videos, dataset)
    with progress_bars() as progress:
        comparison = compare_model(
            model,
            dataset,
            reference=reference,
            min_episode_s=min_episode_s,
            px_per_cm=px_per_cm,
            progress=progress,
        )
        clips = _clips(comparison, footage, out, progress)
    score = own_style_score(comparison, dataset) if dataset.is_labelled else None
    paths = write_report(
        out,
        comparison,
        score,
        title="Where do annotators disagree?",
        sequence_id=video,
        notes=[f"Videos: {sequences}; every style labelled by the model in {model_dir}."],
        n_episodes=episodes,
        learned_rules=_learned_rules(model),
        clips=clips,
    )
    _print_result(comparison, paths)


@app.command("compare-labels")
@friendly_errors
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
    reference: Annotated[
        int | None,
        typer.Option(
            help=(
                "Annotator to compare every other one with. Default: annotator 0 when its "
                "labels are given, otherwise the annotator who agrees best with all the others."
            )
        ),
    ] = None,
    video: Annotated[str | None, typer.Option(help=_VIDEO_HELP)] = None,
    min_episode_s: MinEpisode = 0.5,
    episodes: Episodes = 5,
    px_per_cm: PxPerCm = None,
    videos: Videos = None,
) -> None:
    """Show where several annotators' own labels of the same videos disagree.

    The same measures as `ethostyle compare`, on real labels instead of a model's,
    with the episodes where two annotators part and the agreement of every pair.
    Pose features and snapshots need poses: give train-layout files. With --videos,
    clips of the longest episodes (the pose drawn over them when the files have poses).
    """
    from ethostyle.compare import checked_px_per_cm, min_episode_frames, read_label_files
    from ethostyle.compare import compare_labels as run_compare
    from ethostyle.report import check_report_options, write_report

    check_report_options(out, n_episodes=episodes)
    check_output(out, directory=True)
    min_episode_frames(min_episode_s)
    checked_px_per_cm(px_per_cm)
    files = read_label_files(labels)
    ids = next(iter(files.labels.values()))
    check_report_options(out, n_episodes=episodes, sequence_id=video, sequence_ids=list(ids))
    poses = files.poses_for(0 if reference is None else reference)
    footage = None if videos is None else _open_videos(videos, poses, ids)
    for annotator, path in sorted(files.sources.items()):
        console.print(f"annotator {annotator}: {path}", highlight=False)
    comparison = run_compare(
        files.labels,
        poses,
        reference=reference,
        source="the annotators' own labels",
        min_episode_s=min_episode_s,
        px_per_cm=px_per_cm,
    )
    with progress_bars() as progress:
        clips = _clips(comparison, footage, out, progress)
    paths = write_report(
        out,
        comparison,
        title="Where do annotators disagree?",
        sequence_id=video,
        notes=[f"Label files: {', '.join(str(p) for p in labels)}."],
        n_episodes=episodes,
        clips=clips,
    )
    _print_result(comparison, paths)


def _learned_rules(model: object) -> dict[int, list[str]] | None:
    """The model's style programs in words, when its family has them."""
    describe = getattr(model, "describe_styles", None)
    return describe() if callable(describe) else None


def _open_videos(
    source: Path, poses: Dataset | None, labels: Mapping[str, np.ndarray] | None = None
) -> dict[str, VideoInfo]:
    """Every compared sequence's video, checked against its poses (or, without poses,
    its labels' frame count), before the comparison runs."""
    from ethostyle.video import open_videos

    if poses is not None and (labels is None or all(i in poses for i in labels)):
        ids = list(labels) if labels is not None else poses.ids
        frames = {i: poses[i].n_frames for i in ids}
        return open_videos(source, frames, {i: poses[i].video_fps for i in ids})
    return open_videos(source, {i: len(v) for i, v in (labels or {}).items()})


def _clips(
    comparison: Comparison, footage: dict[str, VideoInfo] | None, out: Path, progress: Progress
) -> list[EpisodeClip]:
    from ethostyle.report.clips import write_episode_clips

    if footage is None:
        return []
    clips = write_episode_clips(comparison, footage, out / "clips", progress=progress)
    console.print(f"wrote {len(clips)} episode clips in {out / 'clips'}", highlight=False)
    return clips
