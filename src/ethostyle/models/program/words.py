"""Style programs in words: one sentence per edit, JSON records, one line per annotator.

Each kind's sentence is its spec's (:data:`~.edits.KINDS`); this module adds what
every edit shares: the held-out F1 gain, and what the edit changed in frames and
bouts on the videos it was fitted on (its :class:`~.effect.Effect`). The fields of the
records are documented, with units, in ``docs/styles.md``.

Examples
--------
>>> from ethostyle.models.program.edits import Edit
>>> from ethostyle.models.program.effect import Effect
>>> effect = Effect(2, 12000, 900, 1140, 10, 12, (0, 180, 0, 60), (0, 0, 0, 0))
>>> [line] = describe_edits((Edit("threshold", "attack", gain=0.02, bias=3.3, effect=effect),),
...                         annotator=3)
>>> print(line)  # doctest: +NORMALIZE_WHITESPACE
Annotator 3 calls attack more readily than the reference annotator (held-out F1 gain
+0.02). On the 2 videos it was learned from (6.7 min), this labels 240 more frames
(8.0 s) as attack: 900 -> 1140 frames, 180 of them investigation and 60 other before;
10 -> 12 bouts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Sequence as SequenceABC
from typing import Any

from ethostyle.data import FPS, VOCABULARY
from ethostyle.models.program.edits import Edit, Wording
from ethostyle.models.program.effect import Effect

__all__ = ["annotator_lines", "describe_edits", "edit_records", "effect_text"]


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def effect_text(effect: Effect, behavior: str, fps: float = FPS) -> str:
    """What an edit changed, in frames and bouts, on the videos it was fitted on.

    Parameters
    ----------
    effect : Effect
        The measured effect.
    behavior : str
        The edited behaviour's name.
    fps : float
        Frames per second, to state frames as seconds.

    Returns
    -------
    str
        One or two sentences, each ending in a full stop.

    Examples
    --------
    >>> e = Effect(1, 9000, 300, 250, 5, 5, (0, 0, 0, 0), (0, 0, 0, 50))
    >>> effect_text(e, "mount")  # doctest: +NORMALIZE_WHITESPACE
    'On the 1 video it was learned from (5.0 min), this labels 50 fewer frames (1.7 s) as
    mount: 300 -> 250 frames, 50 of them other after; 5 bouts, as before.'
    """
    delta = effect.frames_after - effect.frames_before
    where = (
        f"On the {_count(effect.videos, 'video', 'videos')} it was learned from "
        f"({effect.frames / fps / 60:.1f} min), this labels"
    )
    if delta:
        more = "more" if delta > 0 else "fewer"
        what = f"{where} {abs(delta)} {more} frames ({abs(delta) / fps:.1f} s) as {behavior}"
    else:
        moved = sum(effect.gained_from)
        what = f"{where} as many frames as {behavior} ({moved} of them elsewhere)"
    what += f": {effect.frames_before} -> {effect.frames_after} frames"
    parts = []
    for counts, when in ((effect.gained_from, "before"), (effect.lost_to, "after")):
        by_label = [f"{n} {VOCABULARY[i]}" for i, n in enumerate(counts) if n]
        if by_label:
            by_label[0] = by_label[0].replace(" ", " of them ", 1)
            parts.append(f"{_and(', '.join(by_label))} {when}")
    if parts:
        what += ", " + "; ".join(parts)
    before, after = effect.bouts_before, effect.bouts_after
    if before != after:
        bouts = f"{before} -> {after} bouts"
    else:
        bouts = f"{_count(after, 'bout', 'bouts')}, as before"
    return f"{what}; {bouts}."


def _and(items: str) -> str:
    """'a, b, c' -> 'a, b and c'."""
    head, sep, tail = items.rpartition(", ")
    return f"{head} and {tail}" if sep else items


def describe_edits(
    edits: SequenceABC[Edit],
    annotator: int,
    *,
    inherited: int = 0,
    reference_annotator: int = 0,
    fps: float = FPS,
    px_per_cm: float | None = None,
    motif_words: Callable[[int], str] | None = None,
) -> list[str]:
    """State each own edit in plain language, with units, held-out gain and effect.

    Parameters
    ----------
    edits : sequence of Edit
        A program's edits; the first ``inherited`` are not stated.
    annotator : int
        The annotator whose program this is.
    inherited : int
        Edits that came with the program the search started from.
    reference_annotator : int
        The reference annotator the edits are relative to.
    fps : float
        Frames per second, to state frames as seconds.
    px_per_cm : float, optional
        Pixels per centimetre; distances (and speeds) are then given in cm.
    motif_words : callable, optional
        ``motif_words(motif)``: a motif in words; default: each motif edit's stored
        ``motif_description``.

    Returns
    -------
    list of str
        One line per own edit.
    """
    if fps <= 0:
        raise ValueError(f"fps={fps} must be > 0")
    if px_per_cm is not None and not px_per_cm > 0:
        raise ValueError(f"px_per_cm={px_per_cm} must be > 0")
    if annotator == reference_annotator:
        ref, ref_short = "the reference model's raw predictions do", "the reference model"
    else:
        ref, ref_short = "the reference annotator does", "the reference annotator"
    lines = []
    for i, e in enumerate(edits):
        if i < inherited:
            continue
        earlier = [x for x in edits[:i] if x.key == e.key]
        was = f"; {ref_short}: {e.spec.was(earlier[-1])}" if e.spec.last_wins and earlier else ""
        wording = Wording(
            f"Annotator {annotator}", ref, ref_short, fps, px_per_cm, was, motif_words
        )
        text = e.spec.sentence(e, wording)
        if e.gain != 0:
            text += f" (held-out F1 gain {e.gain:+.2f})"
        text += "."
        if e.effect is not None and e.behavior_name is not None:
            text += " " + effect_text(e.effect, e.behavior_name, fps)
        lines.append(text)
    return lines


def edit_records(edits: SequenceABC[Edit], annotator: int) -> list[dict[str, Any]]:
    """One JSON record per edit: ``annotator``, ``behavior``, ``kind``, ``gain``, its fields.

    Parameters
    ----------
    edits : sequence of Edit
        The edits to state (a program's own edits).
    annotator : int
        The annotator whose program this is.

    Returns
    -------
    list of dict
        Fields named as the kind's spec says (``residual``: ``rounds``), then
        ``effect`` when measured. ``docs/styles.md`` documents every field.

    Examples
    --------
    >>> edit_records([Edit("residual", gain=0.02, frames=40)], 3)
    [{'annotator': 3, 'behavior': None, 'kind': 'residual', 'gain': 0.02, 'rounds': 40}]
    """
    out = []
    for e in edits:
        data = e.to_dict()
        names = e.spec.record_names or {}
        record: dict[str, Any] = {
            "annotator": int(annotator),
            "behavior": data.pop("behavior", None),
            "kind": data.pop("kind"),
            "gain": data.pop("gain"),
        }
        record.update({names.get(k, k): v for k, v in data.items()})
        out.append(record)
    return out


def annotator_lines(
    statements: Mapping[int, SequenceABC[str]], reference_annotator: int
) -> list[str]:
    """Every annotator's statements, with a line for those that have none.

    Parameters
    ----------
    statements : mapping of int to sequence of str
        Annotator id to its edits in words (e.g. ``describe_styles()`` of a model).
    reference_annotator : int
        The annotator whose labels trained the reference model.

    Returns
    -------
    list of str
        The reference annotator's line first, then each annotator's statements or a
        line saying it has no rule. A model that knows only the reference annotator
        says so, and does not claim that any other annotator labels alike.

    Examples
    --------
    >>> print(annotator_lines({0: []}, 0)[1])  # doctest: +ELLIPSIS
    No other annotator: the model was trained on the reference annotator 0 only, so ...
    >>> print(annotator_lines({0: [], 4: []}, 0)[1])  # doctest: +ELLIPSIS
    Annotator 4: no rule; ...
    """
    ref = reference_annotator
    lines = [
        f"Annotator {ref} is the reference annotator: the reference model learned its "
        "labels, and every other style is stated relative to it."
    ]
    others = {a: s for a, s in sorted(statements.items()) if a != ref}
    if not others:
        lines.append(
            f"No other annotator: the model was trained on the reference annotator {ref} "
            "only, so it labels every video in that annotator's style. `ethostyle adapt` "
            "learns other annotators' styles from videos they labelled."
        )
    lines.extend(statements.get(ref, ()))
    for annotator, said in others.items():
        lines.extend(said)
        if not said:
            lines.append(
                f"Annotator {annotator}: no rule; no edit raised its held-out F1 enough, so "
                f"it is labelled as annotator {ref} is."
            )
    return lines
