"""Body geometry and smooth free motion of a simulated mouse.

A mouse is described per frame by its trunk centre ``(x, y)``, its trunk heading
(radians, image coordinates with y pointing down), the bend of its head relative
to the trunk (radians) and its body length (px, nose to tail base when
straight). :func:`body_keypoints` turns that into the 7 CalMS21 keypoints.

Free motion is a correlated random walk built without a loop over frames:
speed and turning rate are AR(1) processes (white noise filtered by
:func:`scipy.signal.lfilter`), heading and position are cumulative sums, and the
walls are enforced by folding the position back into the arena (a triangle
wave), which mirrors the heading like a reflection off the wall.

Examples
--------
>>> import numpy as np
>>> kp = body_keypoints(np.array([[500.0, 300.0]]), np.array([0.0]), np.array([0.0]), 100.0)
>>> kp.shape, round(float(kp[0, 0, 0] - kp[0, 0, 6]), 1)
((1, 2, 7), 100.0)
"""

from __future__ import annotations

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


def _fold(x: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Fold ``x`` into ``[lo, hi]`` like a reflection off walls (triangle wave).

    Returns the folded values and the sign (+1 or -1) of the fold's slope, which
    tells whether motion along this axis is mirrored at that frame.
    """
    width = hi - lo
    m = np.mod(x - lo, 2.0 * width)
    mirrored = m > width
    return np.where(mirrored, 2.0 * width - m, m) + lo, np.where(mirrored, -1.0, 1.0)


def _soft_clamp(x: np.ndarray, lo: float, hi: float, width: float = 6.0) -> np.ndarray:
    """Keep ``x`` inside ``[lo, hi]`` with smooth (softplus) edges; identity well inside."""
    x = lo + width * np.logaddexp(0.0, (x - lo) / width)
    return hi - width * np.logaddexp(0.0, (hi - x) / width)


def _walk(
    start_xy: np.ndarray,
    start_heading: float,
    speed: np.ndarray,
    turn: np.ndarray,
    margin: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate a correlated random walk from a start pose, reflecting off the walls.

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

    Returns
    -------
    xy : numpy.ndarray
        ``(n, 2)`` positions inside the arena.
    heading : numpy.ndarray
        ``(n,)`` headings, mirrored where the walk was reflected.
    """
    heading = start_heading + np.cumsum(turn)
    raw = start_xy + np.cumsum(speed[:, None] * _unit(heading), axis=0)
    x, sx = _fold(raw[:, 0], margin, ARENA_WIDTH - margin)
    y, sy = _fold(raw[:, 1], margin, ARENA_HEIGHT - margin)
    mirrored = np.arctan2(sy * np.sin(heading), sx * np.cos(heading))
    return np.stack([x, y], axis=-1), mirrored


def _smooth_angle(angle: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-smooth an angle through its unit vector (safe across the +-pi seam)."""
    if sigma <= 0:
        return angle
    c = gaussian_filter1d(np.cos(angle), sigma, mode="nearest")
    s = gaussian_filter1d(np.sin(angle), sigma, mode="nearest")
    return np.arctan2(s, c)


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
