"""Whole simulated data sets: presets, :func:`simulate` and :func:`write_simulation`.

A preset says how many videos each annotator labelled for training and for
testing, how long they are, and how many *shared* videos every annotator
labelled (for comparing styles on the same behaviour). Every video gets its own
random stream derived from ``(seed, split, annotator, index)``, so the same
preset and seed always give identical arrays.

Examples
--------
>>> sim = simulate("tiny", seed=0)
>>> sim.train.annotators, sim.train.ids[0]
([0, 1, 2, 3, 4, 5], 'sim-a0-train-000')
>>> sorted(sim.shared) == [0, 1, 2, 3, 4, 5]
True
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ethostyle.data import OTHER, Dataset, Sequence
from ethostyle.errors import EthostyleError
from ethostyle.simulate.behaviour import BehaviourParams, WorldSequence, simulate_world
from ethostyle.simulate.styles import STYLES, AnnotatorStyle, label_with_style
from ethostyle.simulate.tracking import TrackingNoise

__all__ = ["LAYOUTS", "PRESETS", "Preset", "Simulation", "simulate", "write_simulation"]

logger = logging.getLogger(__name__)

_SPLITS = {"train": 0, "test": 1, "shared": 2}

#: The file sets :func:`write_simulation` can write, by name, with what each holds.
LAYOUTS: dict[str, str] = {
    "combined": (
        "train.npy (every annotator), test.npy, test_labels.npy, sample_submission.npy and "
        "shared_annotator<k>.npy (the shared videos labelled by each annotator k)"
    ),
    "mabe2021": (
        "the MABe 2021 challenge's files: task1/train.npy (annotator 0 only), "
        "task2/train.npy (annotators 1-5 only), one test.npy shared by both tasks, "
        "sample_submission.npy, and test_labels.npy (the answers, kept apart for scoring)"
    ),
}


@dataclass(frozen=True, slots=True)
class Preset:
    """The size and make-up of a simulated data set.

    Parameters
    ----------
    name : str
        Name used by :func:`simulate` and the ``ethostyle simulate`` command.
    description : str
        One sentence for ``--help`` and reports.
    train_sequences : tuple of int
        Number of training videos per annotator id (index 0 is annotator 0);
        annotator ids past the end use the last entry.
    test_sequences : tuple of int
        Number of test videos per annotator id, likewise.
    shared_sequences : int
        Number of extra videos that every annotator labels (``Simulation.shared``).
    reference_train_frames : tuple of int
        Shortest and longest training video of annotator 0 (frames, 30 per second).
    train_frames : tuple of int
        Shortest and longest training video of the other annotators (frames).
    test_frames : tuple of int
        Shortest and longest test and shared video (frames).
    behaviour : BehaviourParams
        The hidden behaviour process.
    tracking : TrackingNoise
        The pose-tracking errors.
    """

    name: str
    description: str
    train_sequences: tuple[int, ...]
    test_sequences: tuple[int, ...]
    shared_sequences: int
    reference_train_frames: tuple[int, int]
    train_frames: tuple[int, int]
    test_frames: tuple[int, int]
    behaviour: BehaviourParams = field(default_factory=BehaviourParams)
    tracking: TrackingNoise = field(default_factory=TrackingNoise)

    def count(self, split: str, annotator: int) -> int:
        """Number of videos annotator ``annotator`` has in ``split`` ("train" or "test")."""
        counts = self.train_sequences if split == "train" else self.test_sequences
        return int(counts[min(annotator, len(counts) - 1)])


#: The built-in presets, by name.
PRESETS: dict[str, Preset] = {
    "calms21-task2-like": Preset(
        name="calms21-task2-like",
        description=(
            "CalMS21 Task 2 in miniature: 30 annotator-0 training videos of 2-4 min, 1-3 of "
            "3-5 min for each of annotators 1-5, a test split of every annotator and 3 "
            "videos labelled by all."
        ),
        train_sequences=(30, 2, 1, 3, 2, 1),
        test_sequences=(8, 3, 3, 3, 3, 3),
        shared_sequences=3,
        reference_train_frames=(3600, 7200),
        train_frames=(5400, 9000),
        test_frames=(3600, 7200),
    ),
    "tiny": Preset(
        name="tiny",
        description=(
            "A few 30-s videos per annotator, busier than usual so each holds every "
            "behaviour; for tests and quick demos."
        ),
        train_sequences=(6, 2),
        test_sequences=(2, 2),
        shared_sequences=1,
        reference_train_frames=(900, 900),
        train_frames=(900, 900),
        test_frames=(900, 900),
        behaviour=BehaviourParams(
            other_median_s=2.0,
            attack_after_investigation=0.25,
            chase_start_probability=0.12,
            attempt_after_anogenital=0.45,
            mount_median_s=3.0,
            propensity_sd=0.2,
        ),
    ),
}


@dataclass(frozen=True)
class Simulation:
    """A simulated data set with every annotator's labels and the hidden truth.

    Attributes
    ----------
    preset : Preset
        What was simulated.
    seed : int
        The seed it was simulated with.
    train : Dataset
        Labelled training videos of every annotator (ids ``"sim-a<k>-train-<i>"``).
    test : Dataset
        Labelled test videos of every annotator (ids ``"sim-a<k>-test-<i>"``);
        :func:`write_simulation` keeps their labels in a separate file.
    shared : dict of int to Dataset
        The same videos (ids ``"sim-shared-<i>"``, identical keypoints) labelled
        by each annotator id.
    styles : dict of int to AnnotatorStyle
        The style of each annotator id.
    worlds : dict of str to WorldSequence
        The hidden truth of every video, by sequence id.
    """

    preset: Preset
    seed: int
    train: Dataset
    test: Dataset
    shared: dict[int, Dataset]
    styles: dict[int, AnnotatorStyle]
    worlds: dict[str, WorldSequence]


def _video_seed(seed: int, split: str, annotator: int, index: int) -> np.random.SeedSequence:
    """The random stream of one video, independent of how many other videos there are."""
    return np.random.SeedSequence(seed, spawn_key=(_SPLITS[split], annotator, index))


def _labelled(
    world: WorldSequence, annotator: int, style: AnnotatorStyle, stream: np.random.SeedSequence
) -> Sequence:
    # The labelling stream is a child of the video's stream, one per annotator, so
    # adding an annotator never changes what another one wrote.
    labels = label_with_style(
        world,
        style,
        np.random.SeedSequence(stream.entropy, spawn_key=(*stream.spawn_key, 1, annotator)),
    )
    return world.to_sequence(annotator, labels)


def simulate(
    preset: str | Preset = "calms21-task2-like",
    seed: int = 0,
    styles: Mapping[int, AnnotatorStyle] | None = None,
) -> Simulation:
    """Simulate a CalMS21-like data set with known annotator styles.

    Parameters
    ----------
    preset : str or Preset
        ``"calms21-task2-like"`` (default), ``"tiny"``, or a :class:`Preset`.
    seed : int
        Random seed; the same preset and seed give identical arrays.
    styles : mapping of int to AnnotatorStyle, optional
        Annotator id -> style; defaults to :data:`~ethostyle.simulate.STYLES`.
        Annotator 0 is the reference with the many training videos.

    Returns
    -------
    Simulation
        Train, test and shared data sets, the styles and the hidden truth.

    Examples
    --------
    >>> sim = simulate("tiny", seed=1)
    >>> len(sim.train), len(sim.test), sim.train.n_frames
    (16, 12, 14400)
    """
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise EthostyleError(
                f"unknown simulation preset {preset!r}; choose one of {', '.join(PRESETS)}"
            )
        preset = PRESETS[preset]
    styles = dict(STYLES if styles is None else styles)
    if not styles:
        raise EthostyleError("simulate: give at least one annotator style")
    seed = int(seed)
    worlds: dict[str, WorldSequence] = {}
    splits: dict[str, list[Sequence]] = {"train": [], "test": []}
    for split, sequences in splits.items():
        for annotator in sorted(styles):
            lo, hi = preset.test_frames
            if split == "train":
                lo, hi = preset.reference_train_frames if annotator == 0 else preset.train_frames
            for index in range(preset.count(split, annotator)):
                stream = _video_seed(seed, split, annotator, index)
                n = int(np.random.default_rng(stream.spawn(1)[0]).integers(lo, hi + 1))
                vid = f"sim-a{annotator}-{split}-{index:03d}"
                world = simulate_world(n, stream, preset.behaviour, preset.tracking, vid)
                worlds[vid] = world
                sequences.append(_labelled(world, annotator, styles[annotator], stream))
    shared: dict[int, list[Sequence]] = {a: [] for a in sorted(styles)}
    for index in range(preset.shared_sequences):
        stream = _video_seed(seed, "shared", 0, index)
        lo, hi = preset.test_frames
        n = int(np.random.default_rng(stream.spawn(1)[0]).integers(lo, hi + 1))
        vid = f"sim-shared-{index:03d}"
        world = simulate_world(n, stream, preset.behaviour, preset.tracking, vid)
        worlds[vid] = world
        for annotator, style in styles.items():
            shared[annotator].append(_labelled(world, annotator, style, stream))
    logger.info(
        "simulated preset %s (seed %d): %d videos, %d frames",
        preset.name,
        seed,
        len(worlds),
        sum(w.n_frames for w in worlds.values()),
    )
    return Simulation(
        preset=preset,
        seed=seed,
        train=Dataset(splits["train"]),
        test=Dataset(splits["test"]),
        shared={a: Dataset(seqs) for a, seqs in shared.items()},
        styles=styles,
        worlds=worlds,
    )


def write_simulation(
    sim: Simulation, out_dir: str | os.PathLike[str], layout: str = "combined"
) -> dict[str, Path]:
    """Write a simulation in the CalMS21 / MABe 2021 file layouts.

    With ``layout="combined"`` (the default) it writes ``train.npy`` (every
    annotator's training videos, labelled), ``test.npy`` (keypoints and annotator
    ids only), ``test_labels.npy`` (the answers, ``{id: labels}``),
    ``sample_submission.npy`` (every frame ``other``, a valid submission) and, per
    annotator ``k``, ``shared_annotator<k>.npy`` (the shared videos in the train
    layout, labelled by ``k``).

    With ``layout="mabe2021"`` it writes the file set the MABe 2021 challenge
    ships, by its names: ``task1/train.npy`` (the Task 1 training file: annotator
    0's videos only), ``task2/train.npy`` (the Task 2 training file: annotators
    1-5 only, no annotator-0 video), one ``test.npy`` shared by both tasks (test
    videos of annotator 0 and of annotators 1-5, poses and annotator ids only),
    ``sample_submission.npy`` for it, and ``test_labels.npy``, the answers the
    challenge keeps to itself, for scoring. Each task's download calls its
    training file ``train.npy``, hence one folder per task. Every file has the
    layout of ``docs/formats.md``. The shared videos are not written: the
    challenge has none.

    Each file is written atomically.

    Parameters
    ----------
    sim : Simulation
        The output of :func:`simulate`.
    out_dir : str or os.PathLike
        Folder to write into (created if missing).
    layout : str, optional
        ``"combined"`` or ``"mabe2021"`` (see :data:`LAYOUTS`).

    Returns
    -------
    dict of str to pathlib.Path
        File role -> path written: ``"train"``, ``"test"``, ``"test_labels"``,
        ``"sample_submission"``, ``"shared_annotator<k>"`` for ``"combined"``;
        ``"task1_train"``, ``"task2_train"``, ``"test"``, ``"sample_submission"``,
        ``"test_labels"`` for ``"mabe2021"``.

    Raises
    ------
    EthostyleError
        For an unknown layout, or a ``"mabe2021"`` file set the simulation cannot
        fill (no annotator 0, or no other annotator).

    Examples
    --------
    >>> import tempfile
    >>> paths = write_simulation(simulate("tiny"), tempfile.mkdtemp())
    >>> sorted(paths)[:4]
    ['sample_submission', 'shared_annotator0', 'shared_annotator1', 'shared_annotator2']
    >>> paths = write_simulation(simulate("tiny"), tempfile.mkdtemp(), layout="mabe2021")
    >>> [p.relative_to(paths["test"].parent).as_posix() for p in paths.values()]
    ['task1/train.npy', 'task2/train.npy', 'test.npy', 'sample_submission.npy', 'test_labels.npy']
    """
    if layout not in LAYOUTS:
        raise EthostyleError(
            f"unknown file layout {layout!r}; choose one of {', '.join(map(repr, LAYOUTS))}"
        )
    out = Path(out_dir)
    if layout == "mabe2021":
        return _write_mabe2021(sim, out)
    from ethostyle.io import save_train_npy

    out.mkdir(parents=True, exist_ok=True)
    paths = {"train": save_train_npy(sim.train, out / "train.npy"), **_write_test(sim, out)}
    for annotator, dataset in sim.shared.items():
        name = f"shared_annotator{annotator}"
        paths[name] = save_train_npy(dataset, out / f"{name}.npy")
    return {name: Path(path) for name, path in paths.items()}


def _write_test(sim: Simulation, out: Path) -> dict[str, Path]:
    """The test file, its labels and a sample submission, as the challenge names them."""
    from ethostyle.io import save_labels_npy, save_submission, save_test_npy

    return {
        "test": save_test_npy(sim.test, out / "test.npy"),
        "test_labels": save_labels_npy(
            {s.id: s.labels for s in sim.test if s.labels is not None}, out / "test_labels.npy"
        ),
        "sample_submission": save_submission(
            {s.id: np.full(s.n_frames, OTHER, np.int8) for s in sim.test},
            out / "sample_submission.npy",
        ),
    }


def _write_mabe2021(sim: Simulation, out: Path) -> dict[str, Path]:
    """The MABe 2021 file set: a Task 1 and a Task 2 training file, one shared test file."""
    from ethostyle.io import save_train_npy

    task1 = sim.train.filter([0])
    task2 = sim.train.filter(a for a in sim.train.annotators if a != 0)
    if len(task1) == 0 or len(task2) == 0:
        raise EthostyleError(
            "the mabe2021 layout needs training videos of annotator 0 (Task 1) and of other "
            f"annotators (Task 2); this simulation has annotators {sim.train.annotators}"
        )
    (out / "task1").mkdir(parents=True, exist_ok=True)
    (out / "task2").mkdir(exist_ok=True)
    paths = {
        "task1_train": save_train_npy(task1, out / "task1" / "train.npy"),
        "task2_train": save_train_npy(task2, out / "task2" / "train.npy"),
    }
    test = _write_test(sim, out)
    paths.update((name, test[name]) for name in ("test", "sample_submission", "test_labels"))
    return {name: Path(path) for name, path in paths.items()}
