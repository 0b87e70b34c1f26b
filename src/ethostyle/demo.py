"""The main job on the built-in simulated data: simulate, train, predict, evaluate.

``ethostyle demo`` (and ``make demo``) runs :func:`run_demo`: it writes a
CalMS21-like data set, trains the reference and style models on its training
file, labels the test file in each sequence's annotator style, and scores the
result beside the style-blind reference model (every sequence labelled as
annotator 0 would), so the gain from learning styles is visible. It then labels
the shared videos in every learned style and writes the disagreement report
(``report/report.html``, ``disagreement.csv``, ``summary.md`` and figures), with
clips of the longest episodes cut from the shared videos, which it first draws from
their poses (``videos/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ethostyle.compare import Comparison, compare_model
from ethostyle.data import Dataset
from ethostyle.io import load_labels, load_test_npy, load_train_npy, save_submission
from ethostyle.metrics import Task2Score, task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import save_model
from ethostyle.progress import NULL_PROGRESS, NamedSteps, Progress
from ethostyle.report import write_report
from ethostyle.report.clips import EpisodeClip, write_episode_clips
from ethostyle.simulate import simulate, write_simulation
from ethostyle.video import open_videos, render_videos

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo produced.

    Attributes
    ----------
    style_score : Task2Score
        Challenge score of the style models (each test sequence in its annotator's style).
    reference_score : Task2Score
        Challenge score of the style-blind reference model on the same sequences.
    paths : dict of str to Path
        Files written (data, model directory, submissions).
    """

    style_score: Task2Score
    reference_score: Task2Score
    paths: dict[str, Path]


def run_demo(
    out_dir: str | Path,
    *,
    preset: str = "calms21-task2-like",
    seed: int = 0,
    progress: Progress = NULL_PROGRESS,
) -> DemoResult:
    """Simulate a data set, train style models, predict the test set and score it.

    Parameters
    ----------
    out_dir : str or Path
        Folder for everything the demo writes (``data/``, ``model/``, submissions).
    preset : str
        Simulator preset.
    seed : int
        Random seed of the simulation and the models.
    progress : Progress, optional
        Receives progress of each step.

    Returns
    -------
    DemoResult
        Scores of the style models and of the style-blind reference, and the paths.
    """
    out = Path(out_dir)
    data_dir = out / "data"
    sim = simulate(preset, seed=seed)
    paths = {k: Path(v) for k, v in write_simulation(sim, data_dir).items()}
    # Read the files back, as a user would: the demo exercises the real formats.
    train = load_train_npy(paths["train"])
    test = load_test_npy(paths["test"])
    truth = load_labels(paths["test_labels"])

    model = StyleTransferModel(seed=seed).fit(train, progress=progress)
    paths["model"] = save_model(model, out / "model")

    # Two runs of one step: name their bars apart.
    styled = predict_dataset(model, test, progress=NamedSteps(progress, "own styles"))
    blind = predict_dataset(
        model,
        test,
        style=model.reference_annotator,
        progress=NamedSteps(progress, f"annotator {model.reference_annotator}'s style"),
    )
    paths["submission"] = out / "submission.npy"
    save_submission(styled.labels, paths["submission"])
    paths["reference_submission"] = out / "reference_submission.npy"
    save_submission(blind.labels, paths["reference_submission"])

    annotators = {s.id: s.annotator_id for s in test}
    style_score = task2_score(truth, styled.labels, annotators)
    reference_score = task2_score(truth, blind.labels, annotators)

    # Where do the styles disagree? Label the shared videos (which every annotator
    # labelled in the simulation) in every style the model learned, without their labels.
    shared = load_train_npy(paths["shared_annotator0"]).without_labels()
    comparison = compare_model(model, shared, progress=progress)
    clips = _episode_clips(comparison, shared, out, progress)
    paths["videos"] = out / "videos"
    report = write_report(
        out / "report",
        comparison,
        {"style models": style_score, "style-blind reference": reference_score},
        title="ethostyle demo: annotator styles on simulated CalMS21-like data",
        learned_rules=model.describe_styles(),
        notes=[
            f"Simulated preset {preset!r} (seed {seed}). Scores: test videos, each labelled in "
            "its own annotator's style, against that annotator's true labels. Disagreement: "
            f"the {len(shared)} shared videos labelled in every learned style, unlabelled. "
            "Their videos are drawn from the poses (ethostyle render-videos)."
        ],
        clips=clips,
    )
    paths.update({f"report_{k}": v for k, v in report.items()})
    return DemoResult(style_score=style_score, reference_score=reference_score, paths=paths)


def _episode_clips(
    comparison: Comparison, shared: Dataset, out: Path, progress: Progress
) -> list[EpisodeClip]:
    """Render the shared videos from their poses (the simulator has no footage), check
    them as ``compare --videos`` does, and cut the clips of the longest episodes."""
    render_videos(shared, out / "videos", progress=progress)
    videos = open_videos(
        out / "videos", {s.id: s.n_frames for s in shared}, {s.id: s.video_fps for s in shared}
    )
    return write_episode_clips(comparison, videos, out / "report" / "clips", progress=progress)
