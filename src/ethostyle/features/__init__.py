"""Per-frame pose features and their multi-scale temporal context.

The features are what annotators look at when they label social behaviour: how far
the resident's nose is from each part of the intruder, how fast each mouse moves
and turns, whether the resident faces the intruder, how their bodies overlap.
They are computed in the resident's egocentric frame, so they do not depend on
where in the arena the pair is. Everything is vectorised over frames with numpy
and scipy; sequences are processed one at a time so windows never straddle two
videos.

Examples
--------
>>> from ethostyle.simulate import simulate
>>> table = compute_features(simulate("tiny").train)
>>> table.values.dtype, table.values.shape[1] == len(table.names)
(dtype('float32'), True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter, uniform_filter1d

from ethostyle.data import BODY_PARTS, FPS, Dataset, Sequence
from ethostyle.errors import ModelFormatError

__all__ = [
    "CONTEXT_WINDOWS",
    "KEY_FEATURES",
    "FeatureTable",
    "check_feature_names",
    "clean_keypoints",
    "compute_features",
    "interpretable_features",
    "pose_features",
    "sequence_features",
    "temporal_context",
]

_NOSE, _LEAR, _REAR, _NECK, _LHIP, _RHIP, _TAIL = range(7)
_EPS = 1e-6
#: Centred window lengths (frames) of the temporal context: 0.23 s to 4 s at 30 Hz.
CONTEXT_WINDOWS: tuple[int, ...] = (7, 15, 31, 61, 121)
#: Windows over which the spread (standard deviation) of key features is taken.
_SPREAD_WINDOWS: tuple[int, ...] = (15, 61)
#: Past/future shifts (frames) of the 15-frame mean of key features.
_SHIFTS: tuple[int, ...] = (-45, -15, 15, 45)
#: Base features that also get spreads and past/future shifts (the ones that carry
#: onsets and offsets: distances, speeds, facing).
KEY_FEATURES: tuple[str, ...] = (
    "nose_to_intruder_min_px",
    "r_nose-i_nose_px",
    "r_nose-i_neck_px",
    "r_nose-i_tail_base_px",
    "centroid_distance_px",
    "resident_speed_px_s",
    "intruder_speed_px_s",
    "resident_nose_speed_px_s",
    "resident_accel_px_s2",
    "resident_turn_deg_s",
    "approach_speed_px_s",
    "facing_cos",
    "intruder_facing_cos",
    "heading_alignment_cos",
    "box_overlap",
    "intruder_x_ego_px",
    "intruder_y_ego_px",
)


@dataclass(frozen=True, slots=True)
class FeatureTable:
    """All frames of all sequences as one float32 matrix.

    Parameters
    ----------
    values : numpy.ndarray
        ``(frames, features)`` float32.
    names : list of str
        Feature names, one per column.
    sequence_ids : list of str
        Ids of the sequences, in the order their frames appear.
    offsets : numpy.ndarray
        ``(len(sequence_ids) + 1,)`` int64; rows ``offsets[i]:offsets[i+1]`` belong
        to ``sequence_ids[i]``.
    annotators : numpy.ndarray
        ``(frames,)`` int16 annotator id of each row.
    """

    values: np.ndarray
    names: list[str]
    sequence_ids: list[str]
    offsets: np.ndarray
    annotators: np.ndarray

    @property
    def n_frames(self) -> int:
        """Number of rows."""
        return int(self.values.shape[0])

    def rows(self, sequence_id: str) -> slice:
        """Row slice of one sequence."""
        i = self.sequence_ids.index(sequence_id)
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def split(self, array: np.ndarray) -> dict[str, np.ndarray]:
        """Cut a per-row array back into one array per sequence."""
        return {
            sid: array[self.offsets[i] : self.offsets[i + 1]]
            for i, sid in enumerate(self.sequence_ids)
        }


def clean_keypoints(keypoints: np.ndarray) -> np.ndarray:
    """Fill missing keypoints and suppress single-frame tracking glitches.

    NaN/inf values are linearly interpolated over time (held constant at the ends);
    a body part never seen in the sequence takes its mouse's mean position; a
    5-frame temporal median removes isolated outliers and keypoints swapped between
    the mice for a frame or two.

    Parameters
    ----------
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` as in :class:`~ethostyle.data.Sequence`.

    Returns
    -------
    numpy.ndarray
        ``(frames, 2, 2, 7)`` float32 with no NaN (zeros where a mouse is never seen).
    """
    kp = np.asarray(keypoints, dtype=np.float32)
    n = kp.shape[0]
    flat = kp.reshape(n, -1).copy()
    bad = ~np.isfinite(flat)
    if bad.any():
        frames = np.arange(n)
        seen = ~bad.reshape(n, 2, 2, 7)
        total = np.where(seen, flat.reshape(n, 2, 2, 7), 0).sum(axis=(0, 3), dtype=np.float64)
        count = seen.sum(axis=(0, 3))
        # A mouse never seen has no mean: 0 (the io layer warns about such a sequence).
        mouse_mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        # Per coordinate column: np.interp is the vectorised gap filler; the loop is
        # over the 28 columns, never over frames.
        for col in np.flatnonzero(bad.any(axis=0)):
            good = ~bad[:, col]
            if good.any():
                flat[:, col] = np.interp(frames, frames[good], flat[good, col])
            else:
                mouse, axis = divmod(col // 7, 2)
                flat[:, col] = mouse_mean[mouse, axis]
    if n >= 5:
        flat = median_filter(flat, size=(5, 1), mode="nearest")
    return flat.reshape(n, 2, 2, 7)


def _angle(vec: np.ndarray) -> np.ndarray:
    return np.arctan2(vec[..., 1], vec[..., 0])


def _unwrapped_rate(angle: np.ndarray) -> np.ndarray:
    """Angular speed in deg/s from an angle series in radians."""
    if angle.shape[0] < 2:
        return np.zeros_like(angle)
    return np.abs(np.gradient(np.unwrap(angle))) * (FPS * 180.0 / np.pi)


def _norm(v: np.ndarray) -> np.ndarray:
    """Length of ``(..., 2)`` vectors (hypot avoids a generic reduction)."""
    return np.hypot(v[..., 0], v[..., 1])


def _speed(xy: np.ndarray) -> np.ndarray:
    """Speed in px/s of a ``(frames, 2)`` trajectory."""
    if xy.shape[0] < 2:
        return np.zeros(xy.shape[0], dtype=np.float32)
    return _norm(np.gradient(xy, axis=0)) * FPS


def _cos_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    num = a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]
    return num / (_norm(a) * _norm(b) + _EPS)


# Coordinates far outside the frame (wrong units; the io layer warns) overflow float32
# here; the features become inf/NaN, which LightGBM takes as extreme/missing values.
@np.errstate(over="ignore", invalid="ignore")
def pose_features(keypoints: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per-frame base features of one sequence (no temporal context).

    Parameters
    ----------
    keypoints : numpy.ndarray
        ``(frames, 2, 2, 7)`` keypoints; cleaned with :func:`clean_keypoints` first.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, n_base)`` float32.
    names : list of str
        Names of the columns.
    """
    raw = np.asarray(keypoints, dtype=np.float32)
    missing = (~np.isfinite(raw)).reshape(raw.shape[0], -1).mean(axis=1)
    kp = clean_keypoints(raw)
    pts = np.moveaxis(kp, 2, 3)  # (frames, mouse, part, xy)
    res, intr = pts[:, 0], pts[:, 1]
    cols: dict[str, np.ndarray] = {}
    _distance_features(kp, cols)
    _body_features(res, intr, cols)
    ego_x, ego_y = _egocentric_features(res, intr, cols)
    cols["box_overlap"] = _box_overlap(res, ego_x, ego_y)
    _motion_features(res, intr, cols)
    cols["keypoints_missing_fraction"] = missing

    names = list(cols)
    values = np.stack([cols[k] for k in names], axis=1).astype(np.float32)
    return values, names


def _resident_angle(res: np.ndarray) -> np.ndarray:
    """``(frames,)`` heading of the resident's body axis (tail to neck)."""
    return _angle(res[:, _NECK] - res[:, _TAIL])


def _distance_features(kp: np.ndarray, cols: dict[str, np.ndarray]) -> None:
    """Every resident part to every intruder part: the distances annotators judge."""
    dist = np.hypot(
        kp[:, 0, 0, :, None] - kp[:, 1, 0, None, :],
        kp[:, 0, 1, :, None] - kp[:, 1, 1, None, :],
    )
    for i, a in enumerate(BODY_PARTS):
        for j, b in enumerate(BODY_PARTS):
            cols[f"r_{a}-i_{b}_px"] = dist[:, i, j]
    cols["nose_to_intruder_min_px"] = dist[:, _NOSE].min(axis=1)
    cols["intruder_nose_to_resident_min_px"] = dist[:, :, _NOSE].min(axis=1)
    cols["closest_parts_px"] = dist.reshape(len(dist), -1).min(axis=1)


def _body_features(res: np.ndarray, intr: np.ndarray, cols: dict[str, np.ndarray]) -> None:
    """Each body's length, bend and ear span, and how the two bodies stand to each other."""
    r_body = res[:, _NECK] - res[:, _TAIL]
    i_body = intr[:, _NECK] - intr[:, _TAIL]
    r_head = res[:, _NOSE] - res[:, _NECK]
    i_head = intr[:, _NOSE] - intr[:, _NECK]
    r_len = _norm(res[:, _NOSE] - res[:, _TAIL])
    i_len = _norm(intr[:, _NOSE] - intr[:, _TAIL])
    cols["resident_length_px"] = r_len
    cols["intruder_length_px"] = i_len
    cols["resident_head_bend_cos"] = _cos_between(r_head, r_body)
    cols["intruder_head_bend_cos"] = _cos_between(i_head, i_body)
    cols["resident_ear_span_px"] = _norm(res[:, _LEAR] - res[:, _REAR])
    cols["intruder_ear_span_px"] = _norm(intr[:, _LEAR] - intr[:, _REAR])

    r_c = res.mean(axis=1)
    i_c = intr.mean(axis=1)
    between = i_c - r_c
    cols["centroid_distance_px"] = _norm(between)
    cols["centroid_distance_body_lengths"] = cols["centroid_distance_px"] / (
        0.5 * (r_len + i_len) + _EPS
    )
    cols["heading_alignment_cos"] = _cos_between(r_body, i_body)
    r_ang, i_ang = _angle(r_body), _angle(i_body)
    cols["heading_alignment_sin"] = np.sin(i_ang - r_ang)
    cols["facing_cos"] = _cos_between(r_head, i_c - res[:, _NECK])
    cols["intruder_facing_cos"] = _cos_between(i_head, r_c - intr[:, _NECK])


def _egocentric_features(
    res: np.ndarray, intr: np.ndarray, cols: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The intruder in the resident's egocentric frame (origin at the resident's neck,
    x along its body axis): where the partner is, independent of the arena. Returns the
    intruder's ``(frames, parts)`` egocentric x and y."""
    r_ang = _resident_angle(res)
    cos_r, sin_r = np.cos(-r_ang), np.sin(-r_ang)
    rel = intr - res[:, _NECK][:, None, :]
    ego_x = rel[..., 0] * cos_r[:, None] - rel[..., 1] * sin_r[:, None]
    ego_y = rel[..., 0] * sin_r[:, None] + rel[..., 1] * cos_r[:, None]
    for j in (_NOSE, _NECK, _TAIL):
        cols[f"i_{BODY_PARTS[j]}_x_ego_px"] = ego_x[:, j]
        cols[f"i_{BODY_PARTS[j]}_abs_y_ego_px"] = np.abs(ego_y[:, j])
    cols["intruder_x_ego_px"] = ego_x.mean(axis=1)
    cols["intruder_y_ego_px"] = np.abs(ego_y.mean(axis=1))
    return ego_x, ego_y


def _box_overlap(res: np.ndarray, ego_x: np.ndarray, ego_y: np.ndarray) -> np.ndarray:
    """Overlap of the two bodies' bounding boxes, drawn in the resident's frame so
    that it does not change when the pair turns in the arena."""
    r_ang = _resident_angle(res)
    cos_r, sin_r = np.cos(-r_ang), np.sin(-r_ang)
    res_x = (res[..., 0] - res[:, _NECK, None, 0]) * cos_r[:, None] - (
        res[..., 1] - res[:, _NECK, None, 1]
    ) * sin_r[:, None]
    res_y = (res[..., 0] - res[:, _NECK, None, 0]) * sin_r[:, None] + (
        res[..., 1] - res[:, _NECK, None, 1]
    ) * cos_r[:, None]
    inter = np.ones(len(res), dtype=np.float32)
    union_lo, union_hi = [], []
    for r_axis, i_axis in ((res_x, ego_x), (res_y, ego_y)):
        lo_r, hi_r, lo_i, hi_i = r_axis.min(1), r_axis.max(1), i_axis.min(1), i_axis.max(1)
        inter = inter * np.clip(np.minimum(hi_r, hi_i) - np.maximum(lo_r, lo_i), 0, None)
        union_lo.append(np.minimum(lo_r, lo_i))
        union_hi.append(np.maximum(hi_r, hi_i))
    union = (union_hi[0] - union_lo[0]) * (union_hi[1] - union_lo[1]) + _EPS
    return inter / union


def _motion_features(res: np.ndarray, intr: np.ndarray, cols: dict[str, np.ndarray]) -> None:
    """Speeds, turning rates and approach speeds (``cols`` holds the distances already)."""
    r_c = res.mean(axis=1)
    i_c = intr.mean(axis=1)
    r_body = res[:, _NECK] - res[:, _TAIL]
    r_head = res[:, _NOSE] - res[:, _NECK]
    r_ang, i_ang = _angle(r_body), _angle(intr[:, _NECK] - intr[:, _TAIL])
    r_speed = _speed(r_c)
    cols["resident_speed_px_s"] = r_speed
    cols["intruder_speed_px_s"] = _speed(i_c)
    cols["resident_nose_speed_px_s"] = _speed(res[:, _NOSE])
    cols["intruder_nose_speed_px_s"] = _speed(intr[:, _NOSE])
    accel = np.gradient(r_speed) * FPS if len(r_speed) > 1 else np.zeros_like(r_speed)
    cols["resident_accel_px_s2"] = np.abs(accel)
    cols["resident_turn_deg_s"] = _unwrapped_rate(r_ang)
    cols["intruder_turn_deg_s"] = _unwrapped_rate(i_ang)
    cols["resident_head_turn_deg_s"] = _unwrapped_rate(_angle(r_head))
    d_cent = cols["centroid_distance_px"]
    cols["approach_speed_px_s"] = (
        -np.gradient(d_cent) * FPS if len(d_cent) > 1 else np.zeros_like(d_cent)
    )
    d_nose = cols["nose_to_intruder_min_px"]
    cols["nose_approach_speed_px_s"] = (
        -np.gradient(d_nose) * FPS if len(d_nose) > 1 else np.zeros_like(d_nose)
    )
    # Velocity of the resident along its own axis and towards the intruder.
    vel = np.gradient(r_c, axis=0) * FPS if len(r_c) > 1 else np.zeros_like(r_c)
    cols["resident_forward_speed_px_s"] = _cos_between(vel, r_body) * _norm(vel)


def _moving_mean(xt: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average along the last (contiguous) axis, edges repeated.

    Works on the transposed ``(columns, frames)`` block: scipy's filter is several
    times faster along the contiguous axis.
    """
    return uniform_filter1d(xt, size=window, axis=-1, mode="nearest")


@np.errstate(over="ignore", invalid="ignore")
def temporal_context(
    values: np.ndarray,
    names: SequenceABC[str],
    *,
    windows: Iterable[int] = CONTEXT_WINDOWS,
    spread_windows: Iterable[int] = (),
    shifts: Iterable[int] = (),
    shift_window: int = 15,
) -> tuple[np.ndarray, list[str]]:
    """Multi-scale context of per-frame columns within one sequence.

    Parameters
    ----------
    values : numpy.ndarray
        ``(frames, columns)`` per-frame values of one sequence.
    names : sequence of str
        Column names.
    windows : iterable of int
        Centred moving-average window lengths (frames).
    spread_windows : iterable of int
        Window lengths of centred moving standard deviations.
    shifts : iterable of int
        Offsets (frames; negative looks into the past) of the ``shift_window``
        moving average, edge values held at the ends of the sequence.
    shift_window : int
        Window length averaged before shifting.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, columns * (len(windows) + len(spread_windows) + len(shifts)))`` float32.
    names : list of str
        ``"<name>@mean<w>"``, ``"<name>@std<w>"``, ``"<name>@shift<s>"``.
    """
    xt = np.ascontiguousarray(np.asarray(values, dtype=np.float32).T)
    n = xt.shape[1]
    windows, spread_windows, shifts = list(windows), list(spread_windows), list(shifts)
    blocks: list[np.ndarray] = []
    out_names: list[str] = []
    for w in windows:
        blocks.append(_moving_mean(xt, w))
        out_names += [f"{c}@mean{w}" for c in names]
    for w in spread_windows:
        mean = _moving_mean(xt, w)
        sq = _moving_mean(xt * xt, w)
        blocks.append(np.sqrt(np.clip(sq - mean * mean, 0.0, None)))
        out_names += [f"{c}@std{w}" for c in names]
    if shifts:
        smooth = _moving_mean(xt, shift_window)
        for s in shifts:
            idx = np.clip(np.arange(n) + s, 0, max(n - 1, 0))
            blocks.append(smooth[:, idx])
            out_names += [f"{c}@shift{s:+d}" for c in names]
    if not blocks:
        return np.empty((n, 0), np.float32), []
    # (features, frames) -> (frames, features) as a view; callers copy it once.
    return np.concatenate(blocks, axis=0).T, out_names


def sequence_features(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """Base features plus their temporal context for one sequence.

    Parameters
    ----------
    sequence : Sequence
        The sequence to describe.

    Returns
    -------
    values : numpy.ndarray
        ``(frames, features)`` float32.
    names : list of str
        Feature names.
    """
    base, names = pose_features(sequence.keypoints)
    context, context_names = temporal_context(base, names)
    key = [names.index(k) for k in KEY_FEATURES]
    key_names = [names[i] for i in key]
    extra, extra_names = temporal_context(
        base[:, key], key_names, windows=(), spread_windows=_SPREAD_WINDOWS, shifts=_SHIFTS
    )
    values = np.concatenate([base, context, extra], axis=1)
    return values, [*names, *context_names, *extra_names]


def check_feature_names(names: list[str], expected: list[str], sequence_id: str) -> None:
    """Refuse features that are not the ones a model was trained on.

    A model saved by another ethostyle version may expect other feature columns;
    predicting with the wrong columns would give wrong labels without any error.

    Parameters
    ----------
    names : list of str
        The feature names this version computes.
    expected : list of str
        The feature names the model was trained on.
    sequence_id : str
        The sequence being predicted, for the message.

    Raises
    ------
    ModelFormatError
        When the names differ.
    """
    if names != expected:
        raise ModelFormatError(
            f"sequence {sequence_id!r}: this model was trained on {len(expected)} features "
            f"that differ from the {len(names)} this ethostyle version computes; retrain the "
            "model with this version (ethostyle train)"
        )


def compute_features(
    dataset: Dataset | Iterable[Sequence],
    *,
    progress: Callable[[int], None] | None = None,
    describe: Callable[[Sequence], tuple[np.ndarray, list[str]]] | None = None,
) -> FeatureTable:
    """Compute features of every frame of every sequence into one table.

    Parameters
    ----------
    dataset : Dataset or iterable of Sequence
        The sequences.
    progress : callable, optional
        Called with the number of frames done after each sequence (for progress bars).
    describe : callable, optional
        Computes one sequence's features (default :func:`sequence_features`; the
        reference model's are :func:`ethostyle.features.steps.reference_features`).

    Returns
    -------
    FeatureTable
        One row per frame, sequences in order.
    """
    sequences = list(dataset)
    n_total = sum(s.n_frames for s in sequences)
    values: np.ndarray | None = None
    names: list[str] = []
    offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
    annotators = np.empty(n_total, dtype=np.int16)
    describe = describe or sequence_features
    for i, seq in enumerate(sequences):
        block, names = describe(seq)
        if values is None:  # allocate once: no list of blocks and second copy
            values = np.empty((n_total, block.shape[1]), dtype=np.float32)
        start = offsets[i]
        offsets[i + 1] = start + seq.n_frames
        values[start : offsets[i + 1]] = block
        annotators[start : offsets[i + 1]] = seq.annotator_id
        if progress is not None:
            progress(seq.n_frames)
    if values is None:
        values = np.empty((0, 0), dtype=np.float32)
    return FeatureTable(
        values=values,
        names=names,
        sequence_ids=[s.id for s in sequences],
        offsets=offsets,
        annotators=annotators,
    )


def interpretable_features(sequence: Sequence) -> dict[str, np.ndarray]:
    """A few per-frame measures a scientist can read, for disagreement plots.

    Parameters
    ----------
    sequence : Sequence
        The sequence.

    Returns
    -------
    dict of str to numpy.ndarray
        ``nose_to_intruder_px`` (resident nose to the nearest intruder body part),
        ``resident_speed_px_s`` (resident centroid speed) and ``facing_angle_deg``
        (0 when the resident's head points straight at the intruder), each
        ``(frames,)`` float32.
    """
    base, names = pose_features(sequence.keypoints)
    col = {n: base[:, i] for i, n in enumerate(names)}
    facing = np.degrees(np.arccos(np.clip(col["facing_cos"], -1.0, 1.0)))
    return {
        "nose_to_intruder_px": col["nose_to_intruder_min_px"],
        "resident_speed_px_s": col["resident_speed_px_s"],
        "facing_angle_deg": facing.astype(np.float32),
    }
