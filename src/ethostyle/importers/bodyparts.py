"""Match a pose tracker's body-part names to the 7 CalMS21 body parts, and price what is missing.

Trackers name their keypoints freely (``snout``, ``leftear``, ``tail_base`` ...).
Names are matched after lower-casing and dropping every character that is not a
letter or digit, against a short list of common spellings; anything else is
mapped by the user as ``THEIR_NAME=ethostyle_name``. A body part the file does
not have is left as NaN: ethostyle's cleaning then places it at its mouse's
centre, so every feature that uses it loses its information. :func:`missing_cost`
says which features those are, measured on the feature code itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from ethostyle.data import BODY_PARTS
from ethostyle.errors import DataFormatError

__all__ = [
    "BodyPartMatch",
    "match_bodyparts",
    "missing_cost",
    "parse_name_mapping",
]

#: Common spellings of each CalMS21 body part, already normalised (see `_normalise`).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "nose": ("nose", "snout", "nosetip", "tipofnose"),
    "left_ear": ("leftear", "earleft", "lear", "earl"),
    "right_ear": ("rightear", "earright", "earr"),
    "neck": ("neck", "nape", "neckbase"),
    "left_hip": ("lefthip", "hipleft", "lhip", "hipl", "leftside", "sideleft"),
    "right_hip": ("righthip", "hipright", "rhip", "hipr", "rightside", "sideright"),
    "tail_base": ("tailbase", "basetail", "baseoftail", "tailroot", "tailstart", "tail0"),
}


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True, slots=True)
class BodyPartMatch:
    """Which of a file's keypoints becomes each CalMS21 body part.

    Attributes
    ----------
    source : dict of str to str or None
        For each name in :data:`~ethostyle.data.BODY_PARTS`, the file's keypoint
        used for it, or None when the file has none.
    unused : list of str
        The file's keypoints that no body part uses.
    """

    source: dict[str, str | None]
    unused: list[str]

    @property
    def missing(self) -> list[str]:
        """CalMS21 body parts the file does not provide, in CalMS21 order."""
        return [part for part, name in self.source.items() if name is None]


def parse_name_mapping(text: str | None, *, option: str) -> dict[str, str]:
    """Parse ``"theirs=ours,theirs2=ours2"`` into ``{theirs: ours}``.

    Parameters
    ----------
    text : str or None
        Comma-separated ``THEIR_NAME=ethostyle_name`` pairs; None or empty for none.
    option : str
        The command-line option the text came from, named in error messages.

    Returns
    -------
    dict of str to str
        Their name to ethostyle's name, spaces around names removed.

    Examples
    --------
    >>> parse_name_mapping("snout=nose, tailbase=tail_base", option="--bodyparts")
    {'snout': 'nose', 'tailbase': 'tail_base'}
    """
    out: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        theirs, sep, ours = item.partition("=")
        if not sep or not theirs.strip() or not ours.strip():
            raise DataFormatError(
                f"{option}: {item.strip()!r} is not THEIR_NAME=ethostyle_name; write pairs "
                f"like 'snout=nose,tailbase=tail_base' separated by commas"
            )
        out[theirs.strip()] = ours.strip()
    return out


def match_bodyparts(
    available: Iterable[str], mapping: Mapping[str, str] | None = None, *, where: str = ""
) -> BodyPartMatch:
    """Match a file's keypoint names to the CalMS21 body parts.

    Explicit ``mapping`` entries win; the remaining body parts are matched by
    name (case, spaces, ``_`` and ``-`` ignored) against common spellings.

    Parameters
    ----------
    available : iterable of str
        The file's keypoint names.
    mapping : mapping of str to str, optional
        ``{their_name: ethostyle_name}`` for names that are not recognised.
    where : str
        The file, named in error messages.

    Returns
    -------
    BodyPartMatch
        The file keypoint used for each body part (None when missing).

    Raises
    ------
    DataFormatError
        If ``mapping`` names a keypoint the file lacks or a body part ethostyle
        does not use.

    Examples
    --------
    >>> m = match_bodyparts(["Snout", "leftEar", "right-ear", "tailbase"])
    >>> m.source["nose"], m.missing
    ('Snout', ['neck', 'left_hip', 'right_hip'])
    """
    available = list(available)
    mapping = dict(mapping or {})
    prefix = f"{where}: " if where else ""
    unknown_parts = sorted({ours for ours in mapping.values() if ours not in BODY_PARTS})
    if unknown_parts:
        raise DataFormatError(
            f"{prefix}--bodyparts maps to {unknown_parts}, which ethostyle does not use; "
            f"the right-hand names must be among {list(BODY_PARTS)}"
        )
    absent = [theirs for theirs in mapping if theirs not in available]
    if absent:
        raise DataFormatError(
            f"{prefix}--bodyparts names keypoints {absent} that the file does not have; "
            f"its keypoints are {available}"
        )
    source: dict[str, str | None] = dict.fromkeys(BODY_PARTS)
    for theirs, ours in mapping.items():
        source[ours] = theirs
    by_normal = {_normalise(name): name for name in available if name not in mapping}
    for part in BODY_PARTS:
        if source[part] is None:
            source[part] = next((by_normal[s] for s in _SYNONYMS[part] if s in by_normal), None)
    used = set(source.values())
    return BodyPartMatch(source, [name for name in available if name not in used])


@functools.cache
def _features_using(part_index: int) -> tuple[str, ...]:
    """Names of the base pose features that change when one body part moves.

    Measured, not listed by hand: features are computed on a random pose and on
    the same pose with that part moved, and every column that changes depends on it.
    """
    from ethostyle.features import pose_features

    rng = np.random.default_rng(0)
    keypoints = rng.uniform(100, 500, size=(64, 2, 2, len(BODY_PARTS))).astype(np.float32)
    base, names = pose_features(keypoints)
    moved = keypoints.copy()
    moved[..., part_index] += rng.uniform(20, 60, size=moved[..., part_index].shape)
    changed = np.any(np.abs(pose_features(moved)[0] - base) > 1e-3, axis=0)
    return tuple(name for name, hit in zip(names, changed, strict=True) if hit)


def missing_cost(missing: Iterable[str]) -> tuple[list[str], int]:
    """Which pose features lose their information when body parts are missing.

    Parameters
    ----------
    missing : iterable of str
        Names from :data:`~ethostyle.data.BODY_PARTS`.

    Returns
    -------
    affected : list of str
        Base pose features that use at least one missing part (their temporal
        context columns are affected too).
    total : int
        Number of base pose features.

    Examples
    --------
    >>> affected, total = missing_cost(["left_ear", "right_ear"])
    >>> "resident_ear_span_px" in affected, len(affected) < total
    (True, True)
    """
    from ethostyle.features import pose_features

    hit: set[str] = set()
    for part in missing:
        hit.update(_features_using(BODY_PARTS.index(part)))
    _, names = pose_features(np.ones((8, 2, 2, len(BODY_PARTS)), np.float32))
    return [n for n in names if n in hit], len(names)
