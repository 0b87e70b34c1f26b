"""Tests of ethostyle.simulate: deterministic, fast, CalMS21-like, and every annotator style
differs from annotator 0 in the labels the way its description says."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from ethostyle.bouts import Bouts, bout_table, match_bouts
from ethostyle.data import BEHAVIORS, FPS, OTHER, VOCABULARY, Dataset
from ethostyle.errors import EthostyleError
from ethostyle.simulate import (
    PRESETS,
    STYLES,
    AnnotatorStyle,
    PerBehavior,
    label_with_style,
    simulate,
)
from ethostyle.simulate.behaviour import Hidden, Subtype
from ethostyle.simulate.kinematics import ARENA_HEIGHT, ARENA_WIDTH, _turn, _walk, _wrap

ATTACK, INVESTIGATION, MOUNT = (VOCABULARY.index(b) for b in BEHAVIORS)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "simulator.md"


@pytest.fixture(scope="session")
def calms():
    """The default preset (a few seconds to simulate)."""
    return simulate("calms21-task2-like", seed=0)


class Pooled:
    """The shared videos of one annotator, concatenated, with bout tables that never span videos."""

    def __init__(self, videos: list[np.ndarray]) -> None:
        self.labels = np.concatenate(videos)
        lengths = np.array([v.size for v in videos])
        self.breaks = np.cumsum(lengths) - lengths
        self.bouts = bout_table(self.labels, self.breaks)

    @classmethod
    def of(cls, dataset: Dataset) -> Pooled:
        return cls([s.labels for s in dataset])

    def frames(self, code: int) -> int:
        return int((self.labels == code).sum())

    def _touches_edge(self) -> tuple[np.ndarray, np.ndarray]:
        b = self.bouts
        return np.isin(b.start, self.breaks), np.isin(b.stop, [*self.breaks[1:], b.stop[-1]])

    def isolated_lengths(self, code: int) -> np.ndarray:
        """Lengths of bouts of ``code`` with only ``other`` (or a video's edge) on both sides."""
        b = self.bouts
        first, last = self._touches_edge()
        before = first | np.r_[True, b.label[:-1] == OTHER]
        after = last | np.r_[b.label[1:] == OTHER, True]
        return b.length[(b.label == code) & before & after]

    def other_gaps(self, code: int) -> np.ndarray:
        """Lengths of ``other`` runs between two bouts of ``code`` in the same video."""
        b = self.bouts
        first, last = self._touches_edge()
        middle = (
            (b.label[1:-1] == OTHER)
            & (b.label[:-2] == code)
            & (b.label[2:] == code)
            & ~first[1:-1]
            & ~last[1:-1]
        )
        return b.length[1:-1][middle]


@pytest.fixture(scope="session")
def shared(calms) -> dict[int, Pooled]:
    return {a: Pooled.of(ds) for a, ds in calms.shared.items()}


def paired_edges(ref: Pooled, other: Pooled, code: int, edge: str) -> tuple[np.ndarray, ...]:
    """Starts (or stops) of the paired bouts of ``code``: ``ref``'s, and ``other``'s."""
    i, j = match_bouts(ref.bouts, other.bouts, code)
    a: Bouts = ref.bouts
    b: Bouts = other.bouts
    return getattr(a, edge)[i], getattr(b, edge)[j]


def boundary_shift(ref: Pooled, other: Pooled, code: int, edge: str) -> tuple[float, int]:
    """Median of ``other``'s bout starts (or stops) minus ``ref``'s, over paired bouts."""
    mine, theirs = paired_edges(ref, other, code, edge)
    return float(np.median(theirs - mine)), int(mine.size)


def shared_truth(calms, attribute: str) -> np.ndarray:
    ids = calms.shared[0].ids
    return np.concatenate([getattr(calms.worlds[i], attribute) for i in ids])


# ---------------------------------------------------------------------------- determinism, speed


def _arrays(sim) -> list[np.ndarray]:
    out = []
    for ds in (sim.train, sim.test, *sim.shared.values()):
        for s in ds:
            out += [s.keypoints, s.labels]
    for w in sim.worlds.values():
        out += [w.clean_keypoints, w.state, w.subtype, w.nose_to_intruder_px]
    return out


def test_same_seed_gives_bit_identical_arrays_and_other_seeds_differ() -> None:
    a, b, c = simulate("tiny", seed=3), simulate("tiny", seed=3), simulate("tiny", seed=4)
    assert a.train.ids == b.train.ids == c.train.ids
    for x, y in zip(_arrays(a), _arrays(b), strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    for x, z in zip(a.train, c.train, strict=True):
        assert not np.array_equal(x.keypoints, z.keypoints, equal_nan=True)
    assert not np.array_equal(
        np.concatenate([s.labels for s in a.train]), np.concatenate([s.labels for s in c.train])
    )


def test_tiny_takes_seconds_and_holds_every_behaviour_and_annotator() -> None:
    start = time.perf_counter()
    sim = simulate("tiny", seed=11)
    assert time.perf_counter() - start < 5.0
    assert sim.train.annotators == sim.test.annotators == list(range(6))
    reference = np.concatenate([s.labels for s in sim.train.filter([0])])
    assert set(np.unique(reference)) == set(range(len(VOCABULARY)))
    assert sim.train.is_labelled and sim.test.is_labelled


def test_calms21_like_preset_has_the_documented_make_up(calms) -> None:
    preset = PRESETS["calms21-task2-like"]
    train = {a: calms.train.filter([a]) for a in range(6)}
    assert len(train[0]) == 30
    assert all(1 <= len(train[a]) <= 3 for a in range(1, 6))
    assert calms.test.annotators == list(range(6))
    lo, hi = preset.reference_train_frames
    assert all(lo <= s.n_frames <= hi for s in train[0])
    lo, hi = preset.train_frames
    assert all(lo <= s.n_frames <= hi for a in range(1, 6) for s in train[a])
    # shared videos: the same keypoints, labelled by every annotator
    ids = calms.shared[0].ids
    assert len(ids) == preset.shared_sequences
    for a, ds in calms.shared.items():
        assert ds.ids == ids and {s.annotator_id for s in ds} == {a}
        for s in ds:
            assert np.array_equal(s.keypoints, calms.shared[0][s.id].keypoints, equal_nan=True)


# ---------------------------------------------------------------------------- poses


def test_keypoints_have_calms21_shape_and_plausible_units(calms) -> None:
    worlds = [calms.worlds[i] for i in calms.train.ids]
    tracked = np.concatenate([w.keypoints for w in worlds])
    clean = np.concatenate([w.clean_keypoints for w in worlds])
    assert tracked.dtype == np.float32 and tracked.shape[1:] == (2, 2, 7)
    # inside the 1024 x 570 px frame, a few missing values, tracking error of 1-3 px
    assert np.nanmin(tracked) >= 0
    assert np.nanmax(tracked[:, :, 0]) < ARENA_WIDTH and np.nanmax(tracked[:, :, 1]) < ARENA_HEIGHT
    assert 0 < np.isnan(tracked).mean() < 0.01
    assert 1.0 <= np.nanmedian(np.abs(tracked - clean)) <= 3.0
    for w in worlds:
        kp = w.keypoints
        # body length (nose to tail base) per mouse: 80-110 px, and not the same for every mouse
        length = np.nanmedian(np.hypot(*(kp[:, :, :, 0] - kp[:, :, :, 6]).transpose(2, 0, 1)), 0)
        assert np.all((length >= 80) & (length <= 110)), (w.id, length)
        ears = np.nanmedian(np.hypot(*(kp[:, :, :, 1] - kp[:, :, :, 2]).transpose(2, 0, 1)))
        hips = np.nanmedian(np.hypot(*(kp[:, :, :, 4] - kp[:, :, :, 5]).transpose(2, 0, 1)))
        assert 18 <= ears <= 30 and 24 <= hips <= 38  # about 12 and 15 px either side
    lengths = [
        np.nanmedian(np.hypot(*(w.keypoints[:, 0, :, 0] - w.keypoints[:, 0, :, 6]).T))
        for w in worlds
    ]
    assert np.ptp(lengths) > 5


def test_class_balance_and_bout_lengths_are_calms21_like(calms) -> None:
    reference = Pooled.of(calms.train.filter([0]))
    share = np.bincount(reference.labels, minlength=4) / reference.labels.size
    assert share[OTHER] == share.max() and share[OTHER] > 0.5
    assert 0.10 <= share[INVESTIGATION] <= 0.50
    assert 0.005 <= share[ATTACK] <= 0.10 and 0.005 <= share[MOUNT] <= 0.10
    median_s = {c: np.median(reference.bouts.of(c).length) / FPS for c in (0, 1, 2)}
    assert 1.0 <= median_s[INVESTIGATION] <= 3.0
    assert 0.5 <= median_s[ATTACK] <= 2.0
    assert 3.0 <= median_s[MOUNT] <= 10.0


def _trunk_centres(keypoints: np.ndarray) -> np.ndarray:
    """``(frames, mouse, xy)``: midway between the neck and the middle of the hips."""
    return (keypoints[..., 3] + (keypoints[..., 4] + keypoints[..., 5]) / 2) / 2


def test_motion_is_physical_no_teleporting_and_attacks_are_fastest(calms) -> None:
    # On the true (pre-noise) keypoints of every video of the default preset: per-frame
    # displacement and acceleration stay bounded for both mice, for the trunk centre and
    # for every keypoint (the head swings a little faster than the trunk).
    steps, accelerations, part_steps, states = [], [], [], []
    for world in calms.worlds.values():
        clean = world.clean_keypoints.astype(np.float64)
        velocity = np.diff(_trunk_centres(clean), axis=0)
        steps.append(np.hypot(*np.moveaxis(velocity, -1, 0)))  # (frames - 1, mouse)
        accelerations.append(np.hypot(*np.moveaxis(np.diff(velocity, axis=0), -1, 0)))
        part_steps.append(np.hypot(*np.moveaxis(np.diff(clean, axis=0), 2, 0)).max(axis=2))
        states.append(world.state[1:])
    step, part_step = np.concatenate(steps), np.concatenate(part_steps)
    acceleration, state = np.concatenate(accelerations), np.concatenate(states)
    # Bounds with some room: the maxima on seeds 0, 1 and 2 are 33-35 px/frame (trunk),
    # 43-47 px/frame (any keypoint) and 22-26 px/frame^2; the old simulator reached 306 px.
    assert step.max() <= 40.0, step.max(axis=0)
    assert part_step.max() <= 55.0, part_step.max(axis=0)
    assert acceleration.max() <= 30.0, acceleration.max(axis=0)
    assert step[:, 1].max() <= 25.0  # the intruder flees, but never as fast as an attacker
    # Attacks stay the fastest behaviour of the resident: median and 99th percentile.
    resident = step[:, 0]
    present = [h for h in Hidden if (state == h).any()]  # this preset has no sub-behaviours
    median = {h: np.median(resident[state == h]) for h in present}
    assert median[Hidden.ATTACK] > 2 * median[Hidden.INVESTIGATION]
    assert median[Hidden.ATTACK] == max(median.values()), median
    attack_peak = np.percentile(resident[state == Hidden.ATTACK], 99)
    assert 15.0 <= attack_peak <= 30.0
    others = (h for h in present if h != Hidden.ATTACK)
    assert all(np.percentile(resident[state == h], 99) < attack_peak for h in others)


def test_walks_turn_round_at_walls_gradually_and_continue_across_bouts() -> None:
    # Head-on into the right-hand wall at 10 px/frame: the walk slows down, turns round
    # and walks back, with no jump in position or heading.
    n = 80
    speed, turn = np.full(n, 10.0), np.zeros(n)
    xy, heading, _ = _walk(np.array([700.0, 300.0]), 0.0, speed, turn, 66.0)
    assert xy[:, 0].max() <= ARENA_WIDTH - 66.0 and xy[-1, 0] < 700.0  # went back
    assert np.allclose(xy[:, 1], 300.0)
    step = np.hypot(*np.diff(xy, axis=0).T)
    assert step.max() <= 10.0 + 1e-9 and np.abs(np.diff(xy[:, 0], 2)).max() < 6.0
    assert np.abs(_wrap(heading[-1] - np.pi)) < 0.05  # facing back the way it came
    assert np.abs(np.diff(heading)).max() < 0.16  # turned over many frames
    # A walk split in two bouts, the second carrying on from the first, is the same walk.
    rng = np.random.default_rng(0)
    speed, turn = rng.uniform(0.0, 12.0, 400), rng.normal(0.0, 0.05, 400)
    start = np.array([120.0, 450.0])
    whole = _walk(start, 1.0, speed, turn, 85.0)
    first = _walk(start, 1.0, speed[:150], turn[:150], 85.0)
    second = _walk(first[0][-1], first[1][-1], speed[150:], turn[150:], 85.0, first[2])
    np.testing.assert_allclose(np.concatenate([first[0], second[0]]), whole[0], atol=1e-9)
    np.testing.assert_allclose(np.concatenate([first[1], second[1]]), whole[1], atol=1e-9)


def test_heading_blends_turn_the_same_way_round() -> None:
    # A target heading passing behind the start (across +-pi) while a blend is half done:
    # wrapping each frame's difference alone would make the blend jump half a turn.
    start = 0.0
    target = np.linspace(2.9, 3.4, 11)
    blended = start + 0.5 * _turn(target - start)
    steps = np.abs(_wrap(np.diff(blended)))
    assert steps.max() < 0.1
    assert np.allclose(_wrap(start + _turn(target - start) - target), 0, atol=1e-9)


# ---------------------------------------------------------------------------- annotator styles


def test_every_style_documents_how_it_differs() -> None:
    assert sorted(STYLES) == [0, 1, 2, 3, 4, 5]
    descriptions = [STYLES[k].description for k in STYLES]
    assert len(set(descriptions)) == 6 and all(d.endswith(".") for d in descriptions)
    text = DOCS.read_text()
    for k, style in STYLES.items():
        assert f"| {k} | {style.name} | {style.description} |" in text, k


def test_annotator_1_starts_attack_earlier_and_labels_the_chase(calms, shared) -> None:
    ref, a1 = shared[0], shared[1]
    assert a1.frames(ATTACK) > 1.2 * ref.frames(ATTACK)
    shift, paired = boundary_shift(ref, a1, ATTACK, "start")
    assert paired >= 3 and shift <= -4  # documented: 6 frames earlier (more with a chase)
    chase = shared_truth(calms, "state") == Hidden.CHASE
    assert (a1.labels[chase] == ATTACK).mean() > 0.5 > (ref.labels[chase] == ATTACK).mean()
    # attacks with no chase just before them: the 6-frame shift alone
    starts, theirs = paired_edges(ref, a1, ATTACK, "start")
    after_chase = np.array([chase[max(0, s - 20) : s].any() for s in starts])
    assert (~after_chase).sum() >= 3
    assert -9 <= np.median((theirs - starts)[~after_chase]) <= -3


def test_annotator_2_labels_less_investigation_and_no_short_bouts(calms, shared) -> None:
    ref, a2 = shared[0], shared[2]
    assert a2.frames(INVESTIGATION) < 0.8 * ref.frames(INVESTIGATION)
    distance = shared_truth(calms, "nose_to_intruder_px")
    assert np.percentile(distance[a2.labels == INVESTIGATION], 95) < 20
    assert np.percentile(distance[ref.labels == INVESTIGATION], 95) > 20
    # bouts shorter than 15 frames are dropped (only other on both sides: nothing cut them)
    assert a2.isolated_lengths(INVESTIGATION).min() >= 15
    assert (ref.isolated_lengths(INVESTIGATION) < 15).any()


def test_annotator_3_labels_more_investigation_further_away_and_merges(calms, shared) -> None:
    ref, a3 = shared[0], shared[3]
    assert a3.frames(INVESTIGATION) > 1.1 * ref.frames(INVESTIGATION)
    distance = shared_truth(calms, "nose_to_intruder_px")
    far = (distance > 30) & (distance <= 60)
    assert (far & (a3.labels == INVESTIGATION)).sum() > 2 * (
        far & (ref.labels == INVESTIGATION)
    ).sum()
    assert a3.other_gaps(INVESTIGATION).min() >= 15  # bouts closer than 15 frames are merged
    # the wider definition leaves few short gaps anyway; merging alone removes the rest
    unmerged = STYLES[3].replace(merge_gap_frames=STYLES[0].merge_gap_frames)
    for style, short_gaps in ((STYLES[3], False), (unmerged, True)):
        gaps = np.concatenate(
            [
                Pooled([label_with_style(world, style, seed=0)]).other_gaps(INVESTIGATION)
                for world in calms.worlds.values()
            ]
        )
        assert (gaps < 15).any() == short_gaps
    approach = shared_truth(calms, "state") == Hidden.APPROACH
    assert (a3.labels[approach] == INVESTIGATION).sum() > 2 * (
        ref.labels[approach] == INVESTIGATION
    ).sum()
    assert (ref.other_gaps(INVESTIGATION) < 15).any()


def test_annotator_4_labels_more_mount_earlier_and_ends_attack_later(calms, shared) -> None:
    ref, a4 = shared[0], shared[4]
    assert a4.frames(MOUNT) > ref.frames(MOUNT)
    attempts = shared_truth(calms, "state") == Hidden.ATTEMPTED_MOUNT
    assert attempts.sum() >= 20
    assert (a4.labels[attempts] == MOUNT).mean() > 0.5 > (ref.labels[attempts] == MOUNT).mean()
    shift, paired = boundary_shift(ref, a4, MOUNT, "start")
    # documented shift, earlier still with attempts
    assert paired >= 2 and shift <= STYLES[4].onset_shift_frames.mount
    shift, paired = boundary_shift(ref, a4, ATTACK, "stop")
    assert paired >= 3 and shift >= STYLES[4].offset_shift_frames.attack / 2


def test_annotator_5_ignores_face_sniffing_and_ends_investigation_later(calms, shared) -> None:
    ref, a5 = shared[0], shared[5]
    face = (shared_truth(calms, "state") == Hidden.INVESTIGATION) & (
        shared_truth(calms, "subtype") == Subtype.FACE
    )
    assert (ref.labels[face] == INVESTIGATION).mean() > 0.8
    assert (a5.labels[face] == INVESTIGATION).mean() < 0.2
    shift, paired = boundary_shift(ref, a5, INVESTIGATION, "stop")
    documented = STYLES[5].offset_shift_frames.investigation
    assert paired >= 10 and documented - 3 <= shift <= documented + 3
    # investigation wins over attack where they overlap: the late end of a (non-face)
    # investigation runs into the first frames of an attack that follows it directly
    state, subtype = shared_truth(calms, "state"), shared_truth(calms, "subtype")
    onsets = 1 + np.flatnonzero(
        (state[:-1] == Hidden.INVESTIGATION)
        & (subtype[:-1] != Subtype.FACE)
        & (state[1:] == Hidden.ATTACK)
    )
    first_frames = (onsets[:, None] + np.arange(6)).ravel()
    assert onsets.size >= 2
    assert (a5.labels[first_frames] == INVESTIGATION).mean() > 0.5
    assert (ref.labels[first_frames] == INVESTIGATION).mean() < 0.2


def test_user_defined_style(calms) -> None:
    exact = STYLES[0].replace(name="exact", boundary_jitter_frames=0.0, lapse_probability=0.0)
    late = exact.replace(
        name="late-mounts",
        description="Starts mounts 15 frames (0.5 s) later than annotator 0.",
        onset_shift_frames=(0, 0, 15),  # plain tuples are accepted
    )
    assert late.onset_shift_frames == PerBehavior(mount=15)
    starts = []
    for world in list(calms.worlds.values())[:12]:
        ref = bout_table(label_with_style(world, exact, seed=1))
        mine = bout_table(label_with_style(world, late, seed=1))
        i, j = match_bouts(ref, mine, MOUNT)
        starts.append(mine.start[j] - ref.start[i])
        np.testing.assert_array_equal(mine.stop[j], ref.stop[i])
    starts = np.concatenate(starts)
    assert starts.size >= 3 and np.all(starts == 15)
    sim = simulate("tiny", seed=2, styles={0: STYLES[0], 7: late})
    assert sim.train.annotators == [0, 7] and sim.styles[7] is late
    assert sorted(sim.shared) == [0, 7]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"priority": ("attack", "mount")}, "list each of attack, investigation, mount"),
        ({"lapse_probability": 1.5}, "give a probability in"),
        ({"investigation_subtypes": ("face", "tail")}, "unknown investigation sub-types"),
        ({"min_bout_frames": (1, 2)}, "give three whole numbers"),
    ],
)
def test_invalid_style_says_what_to_fix(change, message) -> None:
    with pytest.raises(EthostyleError, match=message):
        AnnotatorStyle(name="bad", description="Bad.", **change)


def test_unknown_preset() -> None:
    with pytest.raises(EthostyleError, match="unknown simulation preset 'huge'"):
        simulate("huge")
