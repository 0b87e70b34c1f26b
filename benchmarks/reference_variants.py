"""The reference models that ``benchmarks/reference_curve.py`` compares (issue 22).

Each variant trains on annotator 0's videos and returns a function that labels test
videos. ``baseline`` is the product's reference; the others are the ideas tried, kept
here so each row of ``benchmarks/README.md``'s issue-22 table can be run again.
Feature variants swap the product's :func:`ethostyle.features.sequence_features` for the
duration of one fit and its predictions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import numpy as np
from scipy.ndimage import uniform_filter1d

import ethostyle.features as features_module
import ethostyle.models.boosted.model as model_module
from ethostyle.data import FPS, Dataset, Sequence
from ethostyle.features import clean_keypoints, compute_features, temporal_context
from ethostyle.features.steps import STEP_WINDOWS
from ethostyle.models.base import held_out_reference, predict_dataset
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.boosted.model import PREDICT_FRAME_STRIDE
from ethostyle.models.boosted.reference import REFERENCE_PARAMS, _lgb_safe
from ethostyle.models.boosted.stacked import (
    PROBABILITY_SPREAD_WINDOWS,
    PROBABILITY_WINDOWS,
    SECOND_STAGE_PARAMS,
)
from ethostyle.models.gbdt import GBDTClassifier, interpolate_rows, softmax, strided_rows
from ethostyle.models.program import fit_program

__all__ = ["VARIANTS"]

Labeller = Callable[[Dataset], dict]
Features = Callable[[Sequence], tuple[np.ndarray, list[str]]]
#: The product's features; a feature variant adds columns to them.
_PRODUCT_FEATURES = features_module.sequence_features
#: Base features that get steps (the product's key features: distances, speeds, facing).
_KEY = features_module.KEY_FEATURES
_NOSE, _NECK, _TAIL = 0, 3, 6


@contextlib.contextmanager
def _features(fn: Features) -> Iterator[None]:
    """Use ``fn`` as the product's sequence features within the block."""
    features_module.sequence_features = fn
    model_module.sequence_features = fn
    try:
        yield
    finally:
        features_module.sequence_features = _PRODUCT_FEATURES
        model_module.sequence_features = _PRODUCT_FEATURES


def _labeller(model: StyleTransferModel, fn: Features) -> Labeller:
    """Label test videos with ``model``, computing ``fn``'s features."""

    def label(test: Dataset) -> dict:
        with _features(fn):
            return predict_dataset(model, test).labels

    return label


def _mean_proba(models: list[GBDTClassifier], values: np.ndarray) -> np.ndarray:
    """The models' mean raw score on every PREDICT_FRAME_STRIDE-th frame, interpolated,
    as probabilities (as the product scores a video)."""
    r = strided_rows(len(values), PREDICT_FRAME_STRIDE)
    raw = np.mean([m.predict_raw(values[r]) for m in models], axis=0)
    return softmax(interpolate_rows(raw, r, len(values)))


def _with_features(
    fn: Features, doc: str | None = None, **model_args
) -> Callable[[Dataset, int], Labeller]:
    def variant(train: Dataset, seed: int) -> Labeller:
        with _features(fn):
            model = StyleTransferModel(seed=seed, **model_args).fit(train)

        return _labeller(model, fn)

    variant.__doc__ = doc or fn.__doc__
    return variant


def product_stack(train: Dataset, seed: int) -> Labeller:
    """The product's stacked reference (``StyleTransferModel(reference_stack=2)``)."""
    model = StyleTransferModel(seed=seed, reference_stack=2).fit(train)
    return lambda test: predict_dataset(model, test).labels


def baseline(train: Dataset, seed: int) -> Labeller:
    """The product's reference model (StyleTransferModel on annotator 0 only)."""
    model = StyleTransferModel(seed=seed).fit(train)
    return lambda test: predict_dataset(model, test).labels


def _frame(origin: np.ndarray, axis: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pts (frames, parts, 2)`` in the frame at ``origin`` with x along ``axis``."""
    ang = np.arctan2(axis[:, 1], axis[:, 0])
    c, s = np.cos(-ang)[:, None], np.sin(-ang)[:, None]
    rel = pts - origin[:, None, :]
    return rel[..., 0] * c - rel[..., 1] * s, rel[..., 0] * s + rel[..., 1] * c


def scaled_base(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """Egocentric keypoints of each mouse in the other's frame, distances and speeds in
    body lengths (the video's median nose-to-tail length)."""
    kp = clean_keypoints(sequence.keypoints)
    pts = np.moveaxis(kp, 2, 3).astype(np.float64)  # (frames, mouse, part, xy)
    res, intr = pts[:, 0], pts[:, 1]
    lengths = np.hypot(*(pts[:, :, _NOSE] - pts[:, :, _TAIL]).transpose(2, 0, 1))
    body = max(float(np.median(lengths)), 1e-3) if len(lengths) else 1.0
    cols: dict[str, np.ndarray] = {}
    ix, iy = _frame(res[:, _NECK], res[:, _NECK] - res[:, _TAIL], intr)
    for j, part in enumerate(("nose", "lear", "rear", "neck", "lhip", "rhip", "tail")):
        cols[f"i_{part}_x_ego_bl"] = ix[:, j] / body
        cols[f"i_{part}_abs_y_ego_bl"] = np.abs(iy[:, j]) / body
    rx, ry = _frame(intr[:, _NECK], intr[:, _NECK] - intr[:, _TAIL], res)
    for j, part in ((0, "nose"), (3, "neck"), (6, "tail")):
        cols[f"r_{part}_x_in_intruder_bl"] = rx[:, j] / body
        cols[f"r_{part}_abs_y_in_intruder_bl"] = np.abs(ry[:, j]) / body
    d = np.hypot(*(res[:, :, None, :] - intr[:, None, :, :]).transpose(3, 0, 1, 2))
    cols["nose_to_intruder_min_bl"] = d[:, _NOSE].min(axis=1) / body
    cols["r_nose-i_tail_bl"] = d[:, _NOSE, _TAIL] / body
    cols["closest_parts_bl"] = d.reshape(len(d), -1).min(axis=1) / body
    for name, xy in (("resident", res.mean(1)), ("intruder", intr.mean(1)), ("r_nose", res[:, 0])):
        v = np.gradient(xy, axis=0) * FPS if len(xy) > 1 else np.zeros_like(xy)
        cols[f"{name}_speed_bl_s"] = np.hypot(v[:, 0], v[:, 1]) / body
    names = list(cols)
    return np.stack([cols[n] for n in names], axis=1).astype(np.float32), names


def scaled(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """The product's features plus egocentric keypoints of both mice in body lengths and
    speeds in body lengths per second, with the same temporal context."""
    values, names = _PRODUCT_FEATURES(sequence)
    base, base_names = scaled_base(sequence)
    context, context_names = temporal_context(base, base_names)
    return np.concatenate([values, base, context], axis=1), [*names, *base_names, *context_names]


def long_context(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """The product's features plus a 241-frame (8 s) mean of the key features."""
    values, names = _PRODUCT_FEATURES(sequence)
    key = [names.index(k) for k in _KEY]
    extra, extra_names = temporal_context(values[:, key], [names[i] for i in key], windows=(241,))
    return np.concatenate([values, extra], axis=1), [*names, *extra_names]


def _folds(
    train: Dataset, seed: int, *, k: int, final: str, features: Features = _PRODUCT_FEATURES
) -> Labeller:
    """Fit ``k`` fold models; search the program on their out-of-fold scores of every video.

    ``final="refit"``: label with one model refitted on every video; ``"folds"``: with the
    mean raw score of the fold models.
    """
    with _features(features):
        table = compute_features(train)
    labels = np.concatenate([s.labels for s in train]).astype(np.int64)
    ids = list(np.random.default_rng(seed).permutation(train.ids))
    fold_of = {sid: i % k for i, sid in enumerate(ids)}
    names = [n.replace("@", "__").replace("+", "p").replace("-", "_") for n in table.names]

    def rows(keep: Callable[[str], bool]) -> np.ndarray:
        return np.concatenate(
            [np.arange(table.rows(s).start, table.rows(s).stop) for s in train.ids if keep(s)]
        )

    def fit(r: np.ndarray) -> GBDTClassifier:
        model = GBDTClassifier(**REFERENCE_PARAMS, seed=seed)
        return model.fit(table.values[r], labels[r], feature_names=names)

    models = [fit(rows(lambda s, f=f: fold_of[s] != f)) for f in range(k)]
    videos = []
    for sid in train.ids:
        x = table.values[table.rows(sid)]
        videos.append((models[fold_of[sid]].predict_proba(x), x, labels[table.rows(sid)]))
    program = fit_program(videos, table.names)
    scorers = models if final == "folds" else [fit(rows(lambda s: True))]

    def label(test: Dataset) -> dict:
        out = {}
        for seq in test:
            values, _ = features(seq)
            out[seq.id] = program.apply(_mean_proba(scorers, values), values, table.names)
        return out

    return label


def oof_program(train: Dataset, seed: int) -> Labeller:
    """The program searched on 3 folds' out-of-fold scores of every video; the model
    refitted on every video (4 fits)."""
    return _folds(train, seed, k=3, final="refit")


def fold_ensemble(train: Dataset, seed: int) -> Labeller:
    """The program searched on 3 folds' out-of-fold scores of every video; labels from
    the fold models' mean raw score (3 fits on 2/3 of the videos)."""
    return _folds(train, seed, k=3, final="folds")


def _steps(values: np.ndarray, names: list[str], cols: list[int], widths: tuple[int, ...]):
    """Steps of ``values[:, cols]``: the mean of the next w frames minus that of the past w."""
    blocks, out = [], []
    frames = np.arange(len(values))
    for w in widths:
        mean = uniform_filter1d(values[:, cols], size=w, axis=0, mode="nearest")
        half = (w + 1) // 2
        ahead = mean[np.minimum(frames + half, max(len(values) - 1, 0))]
        behind = mean[np.maximum(frames - half, 0)]
        blocks.append(ahead - behind)
        out += [f"{names[i]}@step{w}" for i in cols]
    return blocks, out


def steps(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """The product's features plus steps of the key features: the mean of the next w frames
    minus that of the past w frames (w = 5, 15, 45), for sharper bout edges."""
    values, names = _PRODUCT_FEATURES(sequence)
    key = [names.index(k) for k in _KEY]
    blocks, out = _steps(values, names, key, (5, 15, 45))
    return np.concatenate([values, *blocks], axis=1), [*names, *out]


def steps_plus(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """Steps of the key features over 3, 9, 27 and 81 frames, plus their 241-frame (8 s)
    mean (long context)."""
    values, names = _PRODUCT_FEATURES(sequence)
    key = [names.index(k) for k in _KEY]
    blocks, out = _steps(values, names, key, (3, 9, 27, 81))
    extra, extra_names = temporal_context(values[:, key], [names[i] for i in key], windows=(241,))
    return np.concatenate([values, *blocks, extra], axis=1), [*names, *out, *extra_names]


def steps_long(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """The steps (5, 15, 45 frames) plus the key features' 241-frame (8 s) mean."""
    values, names = steps(sequence)
    key = [names.index(k) for k in _KEY]
    extra, extra_names = temporal_context(values[:, key], [names[i] for i in key], windows=(241,))
    return np.concatenate([values, extra], axis=1), [*names, *extra_names]


def steps_wide(sequence: Sequence) -> tuple[np.ndarray, list[str]]:
    """Steps (5, 15, 45 frames) of every per-frame pose feature, not only the key ones."""
    values, names = _PRODUCT_FEATURES(sequence)
    base = [i for i, n in enumerate(names) if "@" not in n]
    blocks, out = _steps(values, names, base, (5, 15, 45))
    return np.concatenate([values, *blocks], axis=1), [*names, *out]


#: More capacity for the reference: 63 leaves, 160 rounds at rate 0.12 (REFERENCE_PARAMS:
#: 31 leaves, 120 rounds at 0.15).
_BIG = {"num_leaves": 63, "n_estimators": 160, "learning_rate": 0.12}


class _Reseeded(GBDTClassifier):
    """The reference's LightGBM with its seed moved by 100 (the seed noise of one fit)."""

    def __init__(self, **params) -> None:
        super().__init__(**{**params, "seed": params.get("seed", 0) + 100})


def _self_trained(fn: Features, **model_args) -> Callable[[Dataset, int], Labeller]:
    """The reference self-trained on the test videos' poses, their labels hidden.

    The MABe 2021 challenge allows the unlabelled test videos; the fit happens when the
    test videos are given, so ``reference_curve.py``'s fit time is that of the labeller.
    """

    def variant(train: Dataset, seed: int) -> Labeller:
        def label(test: Dataset) -> dict:
            with _features(fn):
                model = StyleTransferModel(seed=seed, **model_args)
                model.fit(train, unlabelled=test.without_labels())
                return predict_dataset(model, test).labels

        return label

    variant.__doc__ = f"Self-trained on the test poses (labels hidden): {fn.__doc__}"
    return variant


def _refit(fn: Features) -> Callable[[Dataset, int], Labeller]:
    """The reference's program searched as today, then its model refitted on every video."""

    def variant(train: Dataset, seed: int) -> Labeller:
        with _features(fn):
            model = StyleTransferModel(seed=seed).fit(train)
            table = compute_features(train)
        labels = np.concatenate([s.labels for s in train]).astype(np.int64)
        estimator = model._new_reference()
        estimator.fit(table.values, labels, feature_names=_lgb_safe(table.names))
        model.reference_ = estimator

        return _labeller(model, fn)

    variant.__doc__ = f"Refitted on all videos after its program's search: {fn.__doc__}"
    return variant


#: The context of the first stage's probabilities that ``steps-stack`` gives the second
#: (the product's, :mod:`ethostyle.models.boosted.stacked`).
_STAGE2_CONTEXT = {
    "windows": PROBABILITY_WINDOWS,
    "spread_windows": PROBABILITY_SPREAD_WINDOWS,
    "steps": STEP_WINDOWS,
}
#: ``steps-stack-wide``'s: longer means and spreads, shifts, and more steps.
_STAGE2_WIDE = {
    "windows": (7, 15, 31, 61, 121, 241),
    "spread_windows": (15, 61),
    "shifts": (-30, -10, 10, 30),
    "steps": (3, 9, 27, 81),
}


def _stage2_inputs(
    proba: np.ndarray, values: np.ndarray, names: list[str], context: dict = _STAGE2_CONTEXT
) -> np.ndarray:
    """The first stage's probabilities with their ``context`` and steps, beside the key
    features and their steps."""
    p_names = [f"p{c}" for c in range(proba.shape[1])]
    around = {k: v for k, v in context.items() if k != "steps"}
    context_values, _ = temporal_context(proba, p_names, **around)
    p_steps, _ = _steps(proba, p_names, list(range(proba.shape[1])), context["steps"])
    keep = [
        i for i, n in enumerate(names) if n in _KEY or (n.split("@")[0] in _KEY and "step" in n)
    ]
    return np.concatenate([proba, context_values, *p_steps, values[:, keep]], axis=1)


def steps_stack(
    train: Dataset,
    seed: int,
    first_stage: dict | None = None,
    context: dict = _STAGE2_CONTEXT,
    folds: int = 3,
    boost_seed: int = 0,
) -> Labeller:
    """A second LightGBM on the steps model's out-of-fold probabilities (3 folds) with
    their context and steps; the program searched on its output for the held-out videos.

    ``boost_seed`` moves every LightGBM seed (the folds and the held-out draw stay).
    ``first_stage`` overrides :data:`REFERENCE_PARAMS` for the ``folds`` first-stage models,
    which label the test videos together (their mean raw score).
    """
    with _features(steps):
        table = compute_features(train)
    labels = np.concatenate([s.labels for s in train]).astype(np.int64)
    ids = list(np.random.default_rng(seed).permutation(train.ids))
    fold_of = {sid: i % folds for i, sid in enumerate(ids)}
    held = set(held_out_reference(train.ids, np.random.default_rng(seed)))
    names = _lgb_safe(table.names)

    def rows(keep: Callable[[str], bool]) -> np.ndarray:
        return np.concatenate(
            [np.arange(table.rows(s).start, table.rows(s).stop) for s in train.ids if keep(s)]
        )

    params = {**REFERENCE_PARAMS, **(first_stage or {})}
    stage1 = []
    for f in range(folds):
        r = rows(lambda s, f=f: fold_of[s] != f)
        stage1.append(
            GBDTClassifier(**params, seed=seed + boost_seed).fit(
                table.values[r], labels[r], feature_names=names
            )
        )
    x2 = {}
    for sid in train.ids:
        x = table.values[table.rows(sid)]
        x2[sid] = _stage2_inputs(stage1[fold_of[sid]].predict_proba(x), x, table.names, context)
    fit_ids = [s for s in train.ids if s not in held]
    stage2 = GBDTClassifier(**SECOND_STAGE_PARAMS, seed=seed + boost_seed).fit(
        np.concatenate([x2[s] for s in fit_ids]),
        np.concatenate([labels[table.rows(s)] for s in fit_ids]),
    )
    videos = [
        (stage2.predict_proba(x2[s]), table.values[table.rows(s)], labels[table.rows(s)])
        for s in sorted(held)
    ]
    program = fit_program(videos, table.names)

    def label(test: Dataset) -> dict:
        out = {}
        for seq in test:
            values, _ = steps(seq)
            proba = _mean_proba(stage1, values)
            out[seq.id] = program.apply(
                stage2.predict_proba(_stage2_inputs(proba, values, table.names, context)),
                values,
                table.names,
            )
        return out

    return label


def _variant(doc: str, fn: Callable[..., Labeller], **kwargs) -> Callable[[Dataset, int], Labeller]:
    """``fn`` with ``kwargs``, described by ``doc`` (for ``reference_curve.py --list``)."""

    def variant(train: Dataset, seed: int) -> Labeller:
        return fn(train, seed, **kwargs)

    variant.__doc__ = doc
    return variant


def _warped(sequence: Sequence, speed: float, scale: float, tag: str) -> Sequence:
    """A copy of a labelled ``sequence`` played ``speed`` times as fast (keypoints linearly
    interpolated, labels of the nearest frame) and scaled by ``scale`` about its centre."""
    keypoints = sequence.keypoints.astype(np.float64)
    n = len(keypoints)
    t = np.arange(0, n - 1, speed)
    low = np.floor(t).astype(int)
    w = (t - low)[:, None, None, None]
    moved = keypoints[low] * (1 - w) + keypoints[np.minimum(low + 1, n - 1)] * w
    centre = np.nanmean(keypoints, axis=(0, 1, 3))[None, None, :, None]
    moved = centre + (moved - centre) * scale
    labels = sequence.labels[np.rint(t).astype(int)]
    return Sequence(f"{sequence.id}~{tag}", moved.astype(np.float32), sequence.annotator_id, labels)


def _augmented(copies: tuple[tuple[float, float], ...]) -> Callable[[Dataset, int], Labeller]:
    """The steps reference fitted beside warped copies (``(speed, scale)`` each) of its
    training videos; the held-out videos its program is searched on get no copies."""

    def variant(train: Dataset, seed: int) -> Labeller:
        held = set(held_out_reference(train.ids, np.random.default_rng(seed)))
        extra = [
            _warped(s, speed, scale, str(k))
            for s in train
            if s.id not in held
            for k, (speed, scale) in enumerate(copies)
        ]
        extra_x = np.concatenate([steps(s)[0] for s in extra])
        extra_y = np.concatenate([s.labels for s in extra]).astype(np.int64)

        class WithCopies(GBDTClassifier):
            def fit(self, x, y, **kwargs):  # the reference's one plain fit gets the copies
                return super().fit(
                    np.concatenate([x, extra_x]), np.concatenate([y, extra_y]), **kwargs
                )

        with _features(steps):
            model = StyleTransferModel(seed=seed, reference_estimator=WithCopies).fit(train)

        return _labeller(model, steps)

    variant.__doc__ = f"The steps beside warped copies (speed, scale) {copies} of each video."
    return variant


VARIANTS: dict[str, Callable[[Dataset, int], Labeller]] = {
    "baseline": baseline,
    "product-stack": product_stack,
    "steps": _with_features(steps),
    "scaled": _with_features(scaled),
    "long-context": _with_features(long_context),
    "oof-program": oof_program,
    "fold-ensemble": fold_ensemble,
    "steps-plus": _with_features(steps_plus),
    "steps-wide": _with_features(steps_wide),
    "steps-long": _with_features(steps_long),
    "steps-all-frames": _with_features(
        steps,
        "The steps fitted on every frame (frame_step 1, not 2).",
        reference_params={"frame_step": 1},
    ),
    "steps-big": _with_features(
        steps, "The steps with more capacity: 63 leaves, 160 rounds at 0.12.", reference_params=_BIG
    ),
    "steps-self": _self_trained(steps),
    "steps-refit": _refit(steps),
    "steps-stack": steps_stack,
    "steps-stack-wide": _variant(
        "steps-stack, its second stage given longer context, shifts and more steps.",
        steps_stack,
        context=_STAGE2_WIDE,
    ),
    "steps-stack-2fold": _variant(
        "steps-stack with two first-stage models, each on half the videos.", steps_stack, folds=2
    ),
    "steps-stack-2fold-reseeded": _variant(
        "steps-stack-2fold with LightGBM's seeds moved by 100.",
        steps_stack,
        folds=2,
        boost_seed=100,
    ),
    "steps-stack-lite": _variant(
        "steps-stack, first-stage models of 60 rounds at 0.3 on every third frame.",
        steps_stack,
        first_stage={"n_estimators": 60, "learning_rate": 0.3, "frame_step": 3},
    ),
    "steps-reseeded": _with_features(
        steps, "The steps with LightGBM's seed moved by 100.", reference_estimator=_Reseeded
    ),
    "steps-reg": _with_features(
        steps,
        "The steps with stronger regularisation: leaves of 300 frames, L2 10, 25 % features.",
        reference_params={"min_child_samples": 300, "lambda_l2": 10.0, "feature_fraction": 0.25},
    ),
    "steps-oof": _variant(
        "The steps; the program searched on 3 folds' out-of-fold scores, one model refitted.",
        _folds,
        k=3,
        final="refit",
        features=steps,
    ),
    "steps-aug": _augmented(((0.85, 1.1), (1.2, 0.9))),
    "steps-aug-warp": _augmented(((0.85, 1.0), (1.2, 1.0))),
}
