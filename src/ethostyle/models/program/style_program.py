"""The :class:`StyleProgram` record: a smoothing window and an ordered list of edits.

It labels through the pipeline (:mod:`.pipeline`), reads and writes plain JSON with
errors that name the field, and states itself in words (:mod:`.words`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ethostyle.data import FPS
from ethostyle.decode import MAX_SMOOTH, DecoderParams, check_proba, segment_starts
from ethostyle.errors import DataFormatError, ModelFormatError
from ethostyle.models.program.edits import BEHAVIOR_IDS, Edit, FieldError, edit_from_dict, is_int
from ethostyle.models.program.pipeline import Frames, compile_edits, execute, smoothed_log
from ethostyle.models.program.plan import Plan
from ethostyle.models.program.words import describe_edits, edit_records

__all__ = ["StyleProgram"]


@dataclass(frozen=True, slots=True)
class StyleProgram:
    """An annotator's labelling style: a smoothing window and a list of edits.

    Parameters
    ----------
    smooth : int
        Odd window (frames) of the moving average of the probabilities; 1 means none.
    edits : tuple of Edit
        The edits, in the order they were chosen (the pipeline order is fixed;
        see the package docstring).
    inherited : int
        The first ``inherited`` edits came with the program the search started
        from (the reference annotator's decoding); :meth:`describe` and
        :meth:`records` state only the others, this annotator's own.

    Examples
    --------
    >>> from ethostyle.decode import DecoderParams
    >>> p = StyleProgram.from_decoder(DecoderParams(smooth=5, merge_gap=(0, 9, 0)))
    >>> [e.kind for e in p.edits], p.smooth
    (['merge_gap'], 5)
    >>> StyleProgram.from_dict(p.to_dict(), "model.json") == p
    True
    """

    smooth: int = 1
    edits: tuple[Edit, ...] = ()
    inherited: int = 0
    _plan: Plan | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not is_int(self.smooth) or self.smooth < 1 or self.smooth % 2 == 0:
            raise FieldError("smooth", "must be an odd int >= 1")
        if self.smooth > MAX_SMOOTH:
            raise FieldError("smooth", f"must be at most {MAX_SMOOTH} frames")
        object.__setattr__(self, "smooth", int(self.smooth))
        edits = tuple(self.edits)
        if not all(isinstance(e, Edit) for e in edits):
            raise FieldError("edits", "must hold Edit records")
        object.__setattr__(self, "edits", edits)
        if not is_int(self.inherited) or not 0 <= self.inherited <= len(edits):
            raise FieldError("inherited", f"must be an int in 0-{len(edits)}")
        object.__setattr__(self, "inherited", int(self.inherited))
        object.__setattr__(self, "_plan", compile_edits(edits))

    @property
    def plan(self) -> Plan:
        """The edits compiled into the numbers of each pipeline step."""
        assert self._plan is not None
        return self._plan

    # ------------------------------------------------------------------ building
    @classmethod
    def from_decoder(cls, params: DecoderParams) -> StyleProgram:
        """The program that labels exactly as :func:`ethostyle.decode.decode` with ``params``.

        Parameters
        ----------
        params : DecoderParams
            An old decoder (e.g. read from a model directory of an older version).

        Returns
        -------
        StyleProgram
            Its edits carry gain 0.0 (not measured).

        Examples
        --------
        >>> from ethostyle.decode import DecoderParams
        >>> StyleProgram.from_decoder(DecoderParams(onset_shift=(-6, 0, 0))).edits[0].frames
        -6
        """
        edits: list[Edit] = []
        for i, c in enumerate(BEHAVIOR_IDS):
            if params.bias[i] != 0:
                edits.append(Edit("threshold", c, bias=params.bias[i]))
        for i, c in enumerate(BEHAVIOR_IDS):
            if params.merge_gap[i] > 1:
                edits.append(Edit("merge_gap", c, frames=params.merge_gap[i]))
        for i, c in enumerate(BEHAVIOR_IDS):
            if params.min_length[i] > 1:
                edits.append(Edit("min_bout", c, frames=params.min_length[i]))
        for i, c in enumerate(BEHAVIOR_IDS):
            if params.onset_shift[i] != 0:
                edits.append(Edit("onset_shift", c, frames=params.onset_shift[i]))
            if params.offset_shift[i] != 0:
                edits.append(Edit("offset_shift", c, frames=params.offset_shift[i]))
        return cls(smooth=params.smooth, edits=tuple(edits))

    def with_edit(self, edit: Edit) -> StyleProgram:
        """This program with one more (own) edit appended.

        Examples
        --------
        >>> StyleProgram().with_edit(Edit("min_bout", "mount", frames=30)).edits[0].frames
        30
        """
        return StyleProgram(self.smooth, (*self.edits, edit), self.inherited)

    @property
    def own_edits(self) -> tuple[Edit, ...]:
        """The edits this annotator's search added (not inherited)."""
        return self.edits[self.inherited :]

    @property
    def uses_motifs(self) -> bool:
        """Whether it has motif edits (it then labels only with each frame's motif given)."""
        return any(e.motif is not None for e in self.edits)

    @property
    def has_residual(self) -> bool:
        """Whether the scores come from a residual model (a ``residual`` edit)."""
        return any(e.kind == "residual" for e in self.edits)

    # ------------------------------------------------------------------ labelling
    def apply(
        self,
        proba: np.ndarray,
        features: np.ndarray | None = None,
        feature_names: SequenceABC[str] | None = None,
        *,
        lengths: SequenceABC[int] | None = None,
        residual: np.ndarray | None = None,
        motifs: np.ndarray | None = None,
    ) -> np.ndarray:
        """Label frames in this program's style.

        Parameters
        ----------
        proba : numpy.ndarray
            ``(frames, 4)`` reference-model class probabilities (:data:`VOCABULARY`
            order) of one sequence, or of several concatenated.
        features : numpy.ndarray, optional
            ``(frames, features)`` float32 pose features; needed only by rule edits.
        feature_names : sequence of str, optional
            Names of the feature columns.
        lengths : sequence of int, optional
            Frames of each concatenated sequence (no smoothing, bout or shift
            crosses from one to the next); default: one sequence.
        residual : numpy.ndarray, optional
            ``(frames, 4)`` probabilities of the residual model; needed only when
            the program has a ``residual`` edit.
        motifs : numpy.ndarray, optional
            ``(frames,)`` the motif of each frame (``MotifVocabulary.assign``); needed
            only when the program has motif edits (:attr:`uses_motifs`).

        Returns
        -------
        numpy.ndarray
            ``(frames,)`` int8 labels.

        Raises
        ------
        DataFormatError
            On malformed probabilities, missing features or lengths that do not
            add up to the frames.
        ModelFormatError
            When a rule names a feature that is not given.

        Examples
        --------
        >>> import numpy as np
        >>> p = np.array([[0.2, 0.1, 0.0, 0.7]] * 3)
        >>> StyleProgram(edits=(Edit("threshold", "attack", bias=1.5),)).apply(p).tolist()
        [0, 0, 0]
        """
        return execute(
            self.plan, self._frames(proba, features, feature_names, lengths, residual, motifs)
        )

    def _frames(
        self,
        proba: np.ndarray,
        features: np.ndarray | None,
        feature_names: SequenceABC[str] | None,
        lengths: SequenceABC[int] | None,
        residual: np.ndarray | None,
        motifs: np.ndarray | None,
    ) -> Frames:
        """The checked inputs of :meth:`apply`, smoothed, as the pipeline's frames."""
        p = check_proba(proba, "probabilities")
        n = p.shape[0]
        lengths = [n] if lengths is None else [int(v) for v in lengths]
        if sum(lengths) != n or min(lengths, default=0) < 0:
            raise DataFormatError(
                f"sequence lengths {lengths} do not add up to the {n} frames of probabilities"
            )
        cuts = np.cumsum(lengths)[:-1]
        res = None
        if residual is not None:
            r = check_proba(residual, "residual probabilities")
            if r.shape != p.shape:
                raise DataFormatError(
                    f"residual probabilities have shape {r.shape}; expected {p.shape}"
                )
            res = smoothed_log(r, self.smooth, cuts)
        x = None
        if features is not None:
            x = np.asarray(features)
            if x.ndim != 2 or x.shape[0] != n:
                raise DataFormatError(
                    f"features have shape {x.shape}; expected ({n}, features), one row per frame"
                )
            if feature_names is None or len(feature_names) != x.shape[1]:
                raise DataFormatError(f"give one name per feature column ({x.shape[1]} columns)")
        m = None
        if motifs is not None:
            m = np.asarray(motifs)
            if m.shape != (n,) or m.dtype.kind not in "iu":
                raise DataFormatError(
                    f"motifs of shape {m.shape} ({m.dtype}); expected ({n},) whole numbers, "
                    "one motif per frame"
                )
        logp = smoothed_log(p, self.smooth, cuts)
        return Frames(logp, segment_starts(lengths), x, feature_names, res, m)

    # ---------------------------------------------------------------- plain data
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (never a pickle): ``{"smooth", "inherited", "edits": [...]}``."""
        return {
            "smooth": self.smooth,
            "inherited": self.inherited,
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: object, where: str) -> StyleProgram:
        """Read a program from :meth:`to_dict` data, checking every field.

        Parameters
        ----------
        data : object
            The parsed JSON.
        where : str
            The file, optionally with the path of the program inside it
            (``"model.json: styles.3.program"``); errors start with it.

        Returns
        -------
        StyleProgram

        Raises
        ------
        ModelFormatError
            Naming ``where`` and the field, e.g.
            ``model.json: styles.3.program.edits[2].frames must be an int``.

        Examples
        --------
        >>> StyleProgram.from_dict({"smooth": 3, "edits": [
        ...     {"kind": "merge_gap", "behavior": "investigation", "frames": "x"}]},
        ...     "model.json: styles.3.program")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ethostyle.errors.ModelFormatError: model.json: styles.3.program.edits[0].frames must be ...
        """
        sep = "." if ":" in where else ": "

        def fail(path: str, message: str) -> ModelFormatError:
            return ModelFormatError(f"{where}{sep}{path} {message}")

        if not isinstance(data, Mapping):
            raise ModelFormatError(f"{where}: a style program must be a JSON object")
        unknown = sorted(set(data) - {"smooth", "inherited", "edits"})
        if unknown:
            raise fail(unknown[0], "is not a style program field (smooth, inherited, edits)")
        raw_edits = data.get("edits", [])
        if not isinstance(raw_edits, list):
            raise fail("edits", "must be a list")
        edits = [edit_from_dict(item, f"edits[{i}]", fail) for i, item in enumerate(raw_edits)]
        smooth, inherited = data.get("smooth", 1), data.get("inherited", 0)
        try:
            return cls(smooth=smooth, edits=tuple(edits), inherited=inherited)
        except FieldError as err:
            raise fail(err.field, err.message) from None

    # ---------------------------------------------------------------- in words
    def records(self, annotator: int) -> list[dict[str, Any]]:
        """One JSON record per own edit (``describe-style --json``).

        Parameters
        ----------
        annotator : int
            The annotator whose program this is.

        Returns
        -------
        list of dict
            ``annotator``, ``behavior``, ``kind``, ``gain``, the kind's fields and
            ``effect`` when measured (every field and its units: ``docs/styles.md``).
            Empty for an annotator labelled as the reference.

        Examples
        --------
        >>> StyleProgram(edits=(Edit("onset_shift", "attack", gain=0.04, frames=-18),)).records(3)
        [{'annotator': 3, 'behavior': 'attack', 'kind': 'onset_shift', 'gain': 0.04, 'frames': -18}]
        """
        return edit_records(self.own_edits, annotator)

    def describe(
        self,
        annotator: int,
        reference_annotator: int = 0,
        fps: float = FPS,
        px_per_cm: float | None = None,
        motif_words: Callable[[int], str] | None = None,
    ) -> list[str]:
        """State each own edit in plain language, with units, held-out gain and effect.

        Parameters
        ----------
        annotator : int
            The annotator whose program this is.
        reference_annotator : int
            The reference annotator the edits are relative to.
        fps : float
            Frames per second, to state frames as seconds.
        px_per_cm : float, optional
            Pixels per centimetre; distances (and speeds) are then given in cm.
        motif_words : callable, optional
            ``motif_words(motif)``: a motif in words (the model's vocabulary's, in the
            units above); default: the description stored with each motif edit.

        Returns
        -------
        list of str
            One line per own edit; empty when the annotator labels as the reference.

        Examples
        --------
        >>> p = StyleProgram(edits=(Edit("onset_shift", "attack", gain=0.04, frames=-18),))
        >>> print(p.describe(3)[0])  # doctest: +NORMALIZE_WHITESPACE
        Annotator 3 starts attack 0.6 s (18 frames) before the reference annotator does (held-out
        F1 gain +0.04).
        """
        return describe_edits(
            self.edits,
            annotator,
            inherited=self.inherited,
            reference_annotator=reference_annotator,
            fps=fps,
            px_per_cm=px_per_cm,
            motif_words=motif_words,
        )
