"""Draw mice on many frames at once: filled bodies, skeletons and dots, in numpy.

Every shape of every frame is drawn in one vectorised step: each shape is sampled
densely enough (at most about half a pixel between samples) that every pixel it
covers receives a sample, and the samples are written into the frames with one
fancy-indexed assignment. Hand-written because the libraries at hand draw one frame
at a time (matplotlib renders a figure per frame, tens of milliseconds each;
scikit-image draws one polygon per call): a clip or a simulated video has hundreds to
thousands of frames, and a Python loop over them is what this package avoids.
No anti-aliasing: the frames are small and their edges need no smoothing.

Examples
--------
>>> import numpy as np
>>> canvas = np.zeros((1, 8, 8, 3), np.uint8)
>>> draw_segments(canvas, np.array([[[[1.0, 1.0], [6.0, 1.0]]]]), (255, 0, 0), width=1)
>>> int(canvas[0, 1, :, 0].astype(bool).sum())
6
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "BODY_CENTRE",
    "BODY_RIM",
    "SKELETON",
    "draw_dots",
    "draw_segments",
    "fill_fans",
    "fill_mice",
    "mouse_skeletons",
]

#: Body-part pairs joined in a drawn skeleton (indices into ``BODY_PARTS``): nose to
#: ears, ears to neck, neck to hips, hips to tail base.
SKELETON: tuple[tuple[int, int], ...] = (
    (0, 1), (0, 2), (1, 3), (2, 3), (3, 4), (3, 5), (4, 6), (5, 6),
)  # fmt: skip
#: A mouse's body as a fan about its neck (:data:`BODY_CENTRE`): nose, left ear, left
#: hip, tail base, right hip, right ear and back to the nose.
BODY_RIM: tuple[int, ...] = (0, 1, 4, 6, 5, 2)
BODY_CENTRE = 3
#: Most samples per segment, and the largest fill window (pixels): bounds the memory a
#: huge (bad) pose can take.
_MOST_STEPS = 160


def _stamp(canvas: np.ndarray, frame: np.ndarray, xy: np.ndarray, color: Sequence[int]) -> None:
    """Colour pixel ``xy`` (rounded) of frame ``frame`` for every sample inside the canvas
    with finite coordinates."""
    height, width = canvas.shape[1:3]
    with np.errstate(invalid="ignore"):
        x, y = np.rint(xy[..., 0]), np.rint(xy[..., 1])
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    canvas[frame[inside], y[inside].astype(np.intp), x[inside].astype(np.intp)] = color


def _frame_index(shape: tuple[int, ...]) -> np.ndarray:
    """The frame of every sample of an array whose first axis is frames."""
    return np.broadcast_to(np.arange(shape[0]).reshape((-1,) + (1,) * (len(shape) - 1)), shape)


def _steps(lengths: np.ndarray, per_px: float) -> int:
    finite = lengths[np.isfinite(lengths)]
    longest = float(finite.max()) if finite.size else 0.0
    return int(min(max(np.ceil(longest * per_px), 1), _MOST_STEPS))


def fill_fans(
    canvas: np.ndarray, centres: np.ndarray, rims: np.ndarray, color: Sequence[int]
) -> None:
    """Fill on every frame the polygon swept by a fan of triangles about a centre.

    The polygon is the rim's points in order, each joined to the next (the last to the
    first); it must be star-shaped about the centre (a mouse's body about its neck). Each
    frame is tested pixel by pixel within one square window about its polygon, the same
    size on every frame (the 99th percentile of the polygon's size, so that one wild frame
    of bad tracking does not enlarge every window: such a frame is cut to the window).

    Parameters
    ----------
    canvas : numpy.ndarray
        ``(frames, height, width, 3)`` uint8 frames, drawn on in place.
    centres : numpy.ndarray
        ``(frames, 2)`` the fan's centre (x, y) in pixels.
    rims : numpy.ndarray
        ``(frames, points, 2)`` the rim, in order around the centre; a triangle with
        a NaN corner is not drawn, parts outside the frame are cut off.
    color : sequence of int
        RGB colour.
    """
    centre = np.asarray(centres, np.float32)
    rim = np.asarray(rims, np.float32)
    flat = np.concatenate([centre[:, None], rim], axis=1)
    finite = np.isfinite(flat).all(axis=-1, keepdims=True)
    low = np.floor(np.where(finite, flat, np.inf).min(axis=1))  # (frames, 2)
    size = (np.where(finite, flat, -np.inf).max(axis=1) - low).max(axis=1)
    size = size[np.isfinite(size)]
    if not size.size:
        return
    side = int(min(np.ceil(np.percentile(size, 99)) + 2, _MOST_STEPS))
    gy, gx = np.mgrid[0:side, 0:side].astype(np.float32)
    grid = np.stack([gx.ravel(), gy.ravel()])  # (2, pixels): x, y offsets in the window
    # Triangle i is (centre, rim i, rim i+1): inside it, the spoke to rim i, the rim
    # edge and the spoke back from rim i+1 all have one sign. Each spoke serves two.
    spokes = [_edge(centre, rim[:, k], low, grid) for k in range(rim.shape[1])]
    inside = np.zeros((len(low), grid.shape[1]), bool)
    with np.errstate(invalid="ignore"):
        for k in range(rim.shape[1]):  # a few triangles per fan, not frames
            nxt = (k + 1) % rim.shape[1]
            edges = (spokes[k], _edge(rim[:, k], rim[:, nxt], low, grid), -spokes[nxt])
            inside |= ((edges[0] >= 0) & (edges[1] >= 0) & (edges[2] >= 0)) | (
                (edges[0] <= 0) & (edges[1] <= 0) & (edges[2] <= 0)
            )
    frame, pixel = np.nonzero(inside)
    _stamp(canvas, frame, low[frame] + grid.T[pixel], color)


def _edge(a: np.ndarray, b: np.ndarray, low: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``(frames, pixels)``: which side of the line from ``a`` to ``b`` (``(frames, 2)``)
    each pixel ``low + grid`` lies on (the sign of the cross product), computed on the
    window's offsets so that no ``(frames, pixels, 2)`` array is made."""
    d = b - a
    start = (low - a)[:, :, None]  # the window's corner relative to a
    return d[:, :1] * (grid[1] + start[:, 1]) - d[:, 1:] * (grid[0] + start[:, 0])


def draw_segments(
    canvas: np.ndarray, segments: np.ndarray, color: Sequence[int], width: int = 2
) -> None:
    """Draw line segments on every frame.

    Parameters
    ----------
    canvas : numpy.ndarray
        ``(frames, height, width, 3)`` uint8 frames, drawn on in place.
    segments : numpy.ndarray
        ``(frames, segments, 2, 2)``: each segment's two ends (x, y) in pixels; one
        with a NaN end is not drawn.
    color : sequence of int
        RGB colour.
    width : int
        Line width in pixels.
    """
    ends = np.asarray(segments, np.float32)
    n = _steps(np.linalg.norm(ends[:, :, 1] - ends[:, :, 0], axis=-1), 2.0)
    t = np.linspace(0.0, 1.0, n + 1, dtype=np.float32)[:, None]
    samples = ends[:, :, None, 0] + t * (ends[:, :, None, 1] - ends[:, :, None, 0])
    _thick(canvas, samples, color, width)


def draw_dots(
    canvas: np.ndarray, points: np.ndarray, color: Sequence[int], radius: float = 2.0
) -> None:
    """Draw filled dots on every frame.

    Parameters
    ----------
    canvas : numpy.ndarray
        ``(frames, height, width, 3)`` uint8 frames, drawn on in place.
    points : numpy.ndarray
        ``(frames, points, 2)`` centres (x, y) in pixels; NaN points are not drawn.
    color : sequence of int
        RGB colour.
    radius : float
        Radius in pixels.
    """
    r = int(np.ceil(radius))
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    disc = np.stack([dx, dy], axis=-1)[dx**2 + dy**2 <= radius**2].astype(np.float32)
    samples = np.asarray(points, np.float32)[:, :, None, :] + disc
    _stamp(canvas, _frame_index(samples.shape[:3]), samples, color)


def _thick(canvas: np.ndarray, samples: np.ndarray, color: Sequence[int], width: int) -> None:
    """Stamp ``(frames, ..., 2)`` samples as a square brush ``width`` pixels wide."""
    low = -(width - 1) // 2
    offsets = np.stack(
        np.meshgrid(np.arange(low, low + width), np.arange(low, low + width)), axis=-1
    ).reshape(-1, 2)
    brushed = samples[..., None, :] + offsets.astype(np.float32)
    _stamp(canvas, _frame_index(brushed.shape[:-1]), brushed, color)


def fill_mice(
    canvas: np.ndarray, keypoints: np.ndarray, colors: Sequence[Sequence[int]], scale: float = 1.0
) -> None:
    """Fill each mouse's body (:data:`BODY_RIM` about :data:`BODY_CENTRE`) on every frame.

    ``keypoints`` are ``(frames, 2, 2, 7)`` poses, ``colors`` one RGB colour per mouse,
    ``scale`` drawing pixels per pose pixel.
    """
    xy = np.moveaxis(np.asarray(keypoints, np.float32), 2, 3) * scale  # (f, mice, parts, 2)
    for mouse, color in enumerate(colors):
        fill_fans(canvas, xy[:, mouse, BODY_CENTRE], xy[:, mouse, list(BODY_RIM)], color)


def mouse_skeletons(keypoints: np.ndarray, mouse: int, scale: float = 1.0) -> np.ndarray:
    """The skeleton segments of one mouse: ``(frames, 8, 2, 2)`` (see :data:`SKELETON`)."""
    xy = np.moveaxis(np.asarray(keypoints, np.float32)[:, mouse], 1, 2) * scale
    return xy[:, np.array(SKELETON)]
