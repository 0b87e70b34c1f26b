"""Body geometry and smooth free motion of a simulated mouse.

A mouse is described per frame by its trunk centre ``(x, y)``, its trunk heading
(radians, image coordinates with y pointing down), the bend of its head relative
to the trunk (radians) and its body length (px, nose to tail base when
straight). :func:`body_keypoints` turns that into the 7 CalMS21 keypoints.

Free motion is a correlated random walk built without a loop over frames:
speed and turning rate are AR(1) processes (white noise filtered by
:func:`scipy.signal.lfilter`), heading and position are cumulative sums, and the
walls are enforced by folding the position back into the arena (a triangle
wave with rounded corners), which turns the motion away from the wall like a
reflection, slowing down and turning over a few frames instead of in one.
Slower pose changes (head bend, where a sniffing nose sits) use
:func:`_smooth_noise`, a Gaussian process whose per-frame change and
acceleration are small, so no part of the body jumps between frames.

Examples
--------
>>> import numpy as np
>>> kp = body_keypoints(np.array([[500.0, 300.0]]), np.array([0.0]), np.array([0.0]), 100.0)
>>> kp.shape, round(float(kp[0, 0, 0] - kp[0, 0, 6]), 1)
((1, 2, 7), 100.0)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import lfilter

__all__ = [
    "ARENA_HEIGHT",
    "ARENA_WIDTH",
    "REFERENCE_BODY_LENGTH",
    "body_keypoints",
    "centre_from_nose",
    "nose_position",
]

#: Arena (video frame) width in px.
ARENA_WIDTH: float = 1024.0
#: Arena (video frame) height in px.
ARENA_HEIGHT: float = 570.0
#: Body length (px) at which ears sit 12 px and hips 15 px either side of the midline.
REFERENCE_BODY_LENGTH: float = 95.0

# Fractions of body length along the midline (straight body): trunk centre to
# neck, trunk centre to tail base, neck to nose, neck to the ears' base, and
# tail base to the hips. They sum to 1 from nose to tail base.
_CENTRE_TO_NECK = 0.18
_CENTRE_TO_TAIL = 0.42
_NECK_TO_NOSE = 0.40
_NECK_TO_EARS = 0.12
_TAIL_TO_HIPS = 0.15
_EAR_HALF_SPAN = 12.0
_HIP_HALF_SPAN = 15.0
# Time constant (frames) of the body turning round at a wall: a half turn takes about 4 times
# this (about a second) and never more than ~0.15 rad/frame.
_WALL_TURN_FRAMES = 8.0


def _unit(angle: np.ndarray) -> np.ndarray:
    """``(..., 2)`` unit vectors pointing along ``angle``."""
    return np.stack([np.cos(angle), np.sin(angle)], axis=-1)


def _left(angle: np.ndarray) -> np.ndarray:
    """Unit vectors to the animal's left; y points down in images, so left is -90 deg."""
    return np.stack([np.sin(angle), -np.cos(angle)], axis=-1)


def _wrap(angle: np.ndarray | float) -> np.ndarray:
    """Angles wrapped to [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi


def _turn(delta: np.ndarray) -> np.ndarray:
    """Per-frame signed turns ``delta`` (rad), wrapped once and then kept continuous over frames.

    Blending a heading towards a moving target by ``w * _wrap(target - start)``
    jumps half a turn in one frame where the target passes behind the start (the
    wrapped difference flips from +pi to -pi); unwrapping along the frames keeps
    the turn going the same way round.
    """
    return np.unwrap(_wrap(delta))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    """0 to 1 with zero slope at both ends; used for every blend so speed stays continuous."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _ramp(n: int, width: float) -> np.ndarray:
    """Smoothstep from 0 to 1 over the first ``width`` of ``n`` frames, then 1."""
    return _smoothstep((np.arange(n) + 1.0) / max(width, 1.0))


def _ar1(
    rng: np.random.Generator, n: int, tau: float, sd: float, size: tuple[int, ...] = ()
) -> np.ndarray:
    """A stationary AR(1) process with time constant ``tau`` frames and standard deviation ``sd``.

    White noise through a one-pole filter (:func:`scipy.signal.lfilter`), started in
    its stationary distribution so the first frames are not special.
    """
    a = float(np.exp(-1.0 / max(tau, 1e-6)))
    innovations = rng.standard_normal((n, *size)) * sd * np.sqrt(1.0 - a * a)
    start = rng.standard_normal(size) * sd
    decay = a ** np.arange(1, n + 1, dtype=float)
    return lfilter([1.0], [1.0, -a], innovations, axis=0) + decay.reshape(
        (n,) + (1,) * len(size)
    ) * np.asarray(start)


def _smooth_noise(
    rng: np.random.Generator, n: int, sigma: float, sd: float, size: tuple[int, ...] = ()
) -> np.ndarray:
    """A stationary, smooth Gaussian process: white noise through a Gaussian filter.

    Unlike an AR(1) process, whose per-frame changes are as rough as white noise,
    this one is differentiable: its per-frame change has standard deviation
    ``sd / (sigma * sqrt(2))`` and its acceleration is smaller still, so poses
    driven by it move smoothly. The noise is drawn with ``4 * sigma`` frames of
    margin on both sides and cropped, so the first and last frames are not special.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of frames.
    sigma : float
        Width (frames) of the Gaussian filter: the time scale of the process.
    sd : float
        Standard deviation of the values.
    size : tuple of int
        Shape of independent processes per frame.

    Returns
    -------
    numpy.ndarray
        ``(n, *size)`` values.
    """
    pad = int(np.ceil(4.0 * sigma)) + 1
    white = rng.standard_normal((n + 2 * pad, *size))
    smooth = gaussian_filter1d(white, sigma, axis=0, mode="constant")[pad : pad + n]
    # The filter's gain on white noise is sqrt(sum of its squared weights).
    impulse = gaussian_filter1d(np.eye(1, 2 * pad + 1, pad)[0], sigma, mode="constant")
    return smooth * (sd / np.sqrt((impulse**2).sum()))


def _fold(
    x: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray, rounding: float = 20.0
) -> tuple[np.ndarray, np.ndarray]:
    """Fold ``x`` into ``[lo, hi]`` like a reflection off walls, with rounded corners.

    A plain triangle wave reverses the motion towards a wall within one frame.
    Here each corner is a parabola over the last ``rounding`` px before the
    wall, so the speed towards the wall falls smoothly to zero and turns round
    (the fold stays ``rounding / 2`` px away from ``lo`` and ``hi``); elsewhere
    the fold is the plain triangle wave (the identity on its first stretch).

    Returns the folded values and the fold's slope (from -1 to 1): the factor by
    which motion along this axis is scaled and mirrored at that frame. ``lo`` and
    ``hi`` broadcast against ``x`` (e.g. one pair per axis of ``(n, 2)`` positions).
    """
    width = np.asarray(hi, dtype=float) - lo
    r = np.minimum(rounding, 0.25 * width)
    # Position on the triangle wave's period: 0 at the lower wall, +-width at the upper one.
    z = np.mod(x - lo + width, 2.0 * width) - width
    near_top = np.abs(z) > 0.5 * width
    corner = np.where(near_top, width - np.abs(z), np.abs(z))  # raw distance to the corner
    soft = np.where(corner < r, corner * corner / (2.0 * r) + 0.5 * r, corner)
    folded = lo + np.where(near_top, width - soft, soft)
    return folded, np.sign(z) * np.minimum(corner / r, 1.0)


def _unfold(
    x: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray, rounding: float = 20.0
) -> np.ndarray:
    """The raw coordinate on the first stretch of :func:`_fold` that folds to ``x``.

    Positions closer to a wall than the fold ever gets (``rounding / 2`` px) are
    taken as that closest position.
    """
    width = np.asarray(hi, dtype=float) - lo
    r = np.minimum(rounding, 0.25 * width)
    y = np.clip(np.asarray(x, dtype=float) - lo, 0.5 * r, width - 0.5 * r)
    low = np.sqrt(2.0 * r * (y - 0.5 * r))
    high = width - np.sqrt(2.0 * r * (width - y - 0.5 * r))
    return lo + np.where(y < r, low, np.where(y > width - r, high, y))


def _soft_clamp(x: np.ndarray, lo: float, hi: float, width: float = 6.0) -> np.ndarray:
    """Keep ``x`` inside ``[lo, hi]`` with smooth (softplus) edges; identity well inside."""
    x = lo + width * np.logaddexp(0.0, (x - lo) / width)
    return hi - width * np.logaddexp(0.0, (hi - x) / width)


class WalkState(NamedTuple):
    """Where a walk left off, so that the next walk of the same mouse continues it exactly.

    ``raw`` is the unfolded position (before :func:`_fold`), ``heading`` the
    walk's own heading (before the walls turn it), ``wall_turn`` the last
    unwrapped turn the walls add, and ``settled`` the two filter stages that
    turn the body after it.
    """

    raw: np.ndarray
    heading: float
    wall_turn: float
    settled: tuple[float, float]


def _walk(
    start_xy: np.ndarray,
    start_heading: float,
    speed: np.ndarray,
    turn: np.ndarray,
    margin: float,
    carry: WalkState | None = None,
) -> tuple[np.ndarray, np.ndarray, WalkState]:
    """Integrate a correlated random walk from a start pose, turning away from the walls.

    Where the walk reflects off a wall the heading is mirrored, turning to the new
    direction over about a second (``_WALL_TURN_FRAMES``) instead of in one frame;
    the position slows down towards the wall and turns round smoothly (:func:`_fold`).

    Parameters
    ----------
    start_xy : numpy.ndarray
        ``(2,)`` position (px) before the first frame.
    start_heading : float
        Heading (rad) before the first frame.
    speed, turn : numpy.ndarray
        ``(n,)`` speed (px/frame) and turning (rad/frame) per frame.
    margin : float
        Distance (px) the trunk centre keeps from every wall.
    carry : WalkState, optional
        The end state of this mouse's previous walk, when this walk continues it
        (then ``start_xy`` and ``start_heading`` are where that walk ended). Without
        it the walk starts afresh: moving along ``start_heading``, unturned by walls.

    Returns
    -------
    xy : numpy.ndarray
        ``(n, 2)`` positions inside the arena (a start outside it is eased in).
    heading : numpy.ndarray
        ``(n,)`` headings, turned where the walls turned the walk.
    state : WalkState
        Where the walk ended, to continue it.
    """
    hi = np.array([ARENA_WIDTH, ARENA_HEIGHT]) - margin
    if carry is None:
        start = _unfold(start_xy, margin, hi)
        carry = WalkState(start, float(start_heading), 0.0, (0.0, 0.0))
        # A start closer to a wall than walks go (a resident that was beside an intruder
        # near the wall) is eased out over half a second instead of jumping in.
        offset = start_xy - _fold(start, margin, hi)[0]
    else:
        offset = np.zeros(2)
    heading = carry.heading + np.cumsum(turn)
    raw = carry.raw + np.cumsum(speed[:, None] * _unit(heading), axis=0)
    xy, slope = _fold(raw, margin, hi)
    # The body turns to the reflected heading over a few frames: the turn each
    # reflection adds (a step where the unfolded walk crosses a wall) is passed through
    # a causal, critically damped filter (two one-pole low-passes, scipy.signal.lfilter)
    # carried over from the last walk, so the heading is continuous from the start
    # heading and across walks. Reflection by the fold's sign, not its slope: the
    # direction of motion is ill-defined right at a wall, where the slope is 0.
    parity = np.where(slope < 0, -1.0, 1.0)
    mirrored = np.arctan2(parity[:, 1] * np.sin(heading), parity[:, 0] * np.cos(heading))
    wall_turn = np.unwrap(np.r_[carry.wall_turn, _wrap(mirrored - heading)])[1:]
    a = float(np.exp(-1.0 / _WALL_TURN_FRAMES))
    first = lfilter([1.0 - a], [1.0, -a], wall_turn, zi=[a * carry.settled[0]])[0]
    second = lfilter([1.0 - a], [1.0, -a], first, zi=[a * carry.settled[1]])[0]
    xy = xy + (1.0 - _ramp(speed.shape[0], 15))[:, None] * offset
    end = WalkState(raw[-1], float(heading[-1]), float(wall_turn[-1]), (first[-1], second[-1]))
    return xy, heading + second, end


def _smooth_angle(angle: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-smooth an angle along the frames (``sigma`` frames); the result is unwrapped.

    The angle is unwrapped first, so the +-pi seam is harmless; smoothing unit
    vectors instead would flip in one frame through a half-turn reversal.
    """
    return gaussian_filter1d(np.unwrap(angle), sigma, mode="nearest")


def nose_position(
    centre: np.ndarray, heading: np.ndarray, bend: np.ndarray, length: np.ndarray | float
) -> np.ndarray:
    """Nose position (px) of a body given its trunk centre, heading, head bend and length.

    Parameters
    ----------
    centre : numpy.ndarray
        ``(n, 2)`` trunk centres (px).
    heading, bend : numpy.ndarray
        ``(n,)`` trunk heading and head bend relative to the trunk (rad).
    length : numpy.ndarray or float
        Body length (px), scalar or ``(n,)``.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` nose positions.

    Examples
    --------
    >>> import numpy as np
    >>> nose_position(np.zeros((1, 2)), np.zeros(1), np.zeros(1), 100.0).round(1).tolist()
    [[58.0, 0.0]]
    """
    length = np.asarray(length, dtype=float)[..., None]
    return (
        centre
        + _CENTRE_TO_NECK * length * _unit(heading)
        + _NECK_TO_NOSE * length * _unit(heading + bend)
    )


def centre_from_nose(
    nose: np.ndarray, heading: np.ndarray, bend: np.ndarray, length: np.ndarray | float
) -> np.ndarray:
    """Trunk centre that puts the nose at ``nose``; the inverse of :func:`nose_position`.

    Examples
    --------
    >>> import numpy as np
    >>> c = centre_from_nose(np.array([[58.0, 0.0]]), np.zeros(1), np.zeros(1), 100.0)
    >>> c.round(6).tolist()
    [[0.0, 0.0]]
    """
    length = np.asarray(length, dtype=float)[..., None]
    return (
        nose
        - _CENTRE_TO_NECK * length * _unit(heading)
        - _NECK_TO_NOSE * length * _unit(heading + bend)
    )


def body_keypoints(
    centre: np.ndarray,
    heading: np.ndarray,
    bend: np.ndarray,
    length: np.ndarray | float,
) -> np.ndarray:
    """The 7 CalMS21 keypoints of one mouse from its body state.

    Parameters
    ----------
    centre : numpy.ndarray
        ``(n, 2)`` trunk centres (px).
    heading : numpy.ndarray
        ``(n,)`` trunk heading (rad, image coordinates, y down).
    bend : numpy.ndarray
        ``(n,)`` head angle relative to the trunk (rad); turns the nose and ears.
    length : numpy.ndarray or float
        Body length (px), nose to tail base when straight; scalar or ``(n,)``
        (a hunched, mounting mouse is shorter).

    Returns
    -------
    numpy.ndarray
        ``(n, 2, 7)`` float64: frame, (x, y), body part in
        :data:`ethostyle.data.BODY_PARTS` order (nose, left ear, right ear, neck,
        left hip, right hip, tail base).

    Examples
    --------
    >>> import numpy as np
    >>> kp = body_keypoints(np.zeros((1, 2)), np.zeros(1), np.zeros(1), 95.0)
    >>> kp[0, :, 1].round(1).tolist()  # left ear: 12 px to the left (up, in image y)
    [28.5, -12.0]
    """
    length = np.broadcast_to(np.asarray(length, dtype=float), heading.shape)
    scale = (length / REFERENCE_BODY_LENGTH)[:, None]
    ln = length[:, None]
    trunk = _unit(heading)
    head_angle = heading + bend
    head = _unit(head_angle)
    neck = centre + _CENTRE_TO_NECK * ln * trunk
    tail = centre - _CENTRE_TO_TAIL * ln * trunk
    nose = neck + _NECK_TO_NOSE * ln * head
    ear_base = neck + _NECK_TO_EARS * ln * head
    ear_offset = _EAR_HALF_SPAN * scale * _left(head_angle)
    hip_base = tail + _TAIL_TO_HIPS * ln * trunk
    hip_offset = _HIP_HALF_SPAN * scale * _left(heading)
    parts = [
        nose,
        ear_base + ear_offset,
        ear_base - ear_offset,
        neck,
        hip_base + hip_offset,
        hip_base - hip_offset,
        tail,
    ]
    return np.stack(parts, axis=-1)
