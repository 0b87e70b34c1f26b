"""How :class:`ethostyle.models.tcn.TCNStyleTransfer` learns each annotator's style.

On a network pretrained on the reference annotator: a two-fold cross-fit over
every annotator's videos gives held-out predictions, the styles are then
fine-tuned on all of them (:meth:`StyleLearning._fit_styles`), and each annotator's
style program is searched on the held-out predictions
(:meth:`StyleLearning._fit_programs`). Adapting a fitted model to new annotators
(:meth:`StyleLearning._adapt`) does the same for their styles alone, with the
shared network and the reference head frozen, so labels in the reference style
stay exactly as they were.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from ethostyle.data import VOCABULARY, Dataset
from ethostyle.errors import DataFormatError
from ethostyle.features import check_feature_names, compute_features
from ethostyle.models.base import require_labels
from ethostyle.models.boosted import MIN_VIDEOS_FOR_REFERENCE_PROGRAM
from ethostyle.models.program import StyleProgram, fit_program, rule_features
from ethostyle.models.style_programs import with_residual
from ethostyle.models.tcn_training import (
    Segments,
    TrainingData,
    standardise_as,
    style_log_proba,
    train_steps,
    two_folds,
)
from ethostyle.progress import Progress

__all__ = ["StyleLearning", "styles_to_learn"]

logger = logging.getLogger(__name__)


class StyleLearning:
    """The style half of the neural model (a mixin of ``TCNStyleTransfer``).

    It reads the model's hyperparameters and fitted attributes (``net_``,
    ``style_annotators_``, ``evidence_``, ``style_counts_``, ``reference_program_``,
    ``style_programs_``) and sets them.
    """

    # Set by the model class (its constructor parameters and fitted state).
    net_: Any
    style_annotators_: list[int]
    evidence_: dict[int, np.ndarray]

    def _fit_styles(
        self,
        data: TrainingData,
        parts: dict[int, list[slice]],
        reference: Segments | None,
        rng: np.random.Generator,
        progress: Progress,
    ) -> dict[int, list[tuple[slice, np.ndarray]]]:
        """Fine-tune jointly on every annotator, after a two-fold cross-fit.

        Returns, per style slot, the rows of its held-out pieces and their
        probabilities in its style from the fold that did not train on them.
        """
        net = self.net_
        pretrained = {k: v.detach().clone() for k, v in net.state_dict().items()}
        folds = two_folds(parts) if self.tune_decoding else []
        advance = progress.task("TCN styles", len(folds) + 1)
        held_out: dict[int, list[tuple[slice, np.ndarray]]] = {s: [] for s in parts}
        for fold_train, fold_held in folds:
            net.load_state_dict(pretrained)
            self._fine_tune(data, fold_train, reference, rng)
            for slot, pieces in fold_held.items():
                for rows in pieces:
                    proba = np.exp(self._held_out_log_proba(data, rows, slot))
                    held_out[slot].append((rows, proba))
            advance(1)
        net.load_state_dict(pretrained)
        self._fine_tune(data, parts, reference, rng)
        advance(1)
        return held_out

    def _fit_programs(
        self,
        data: TrainingData,
        held_reference: list[slice],
        held_out: dict[int, list[tuple[slice, np.ndarray]]],
    ) -> None:
        """The reference's program on its held-out videos; each style's on its cross-fit.

        A style's program starts from the reference's, applied to the style's own
        probabilities (a ``residual`` edit), as the boosted model's styles start
        from the reference's program; a style without evidence keeps that start.
        """
        self.reference_program_ = StyleProgram()
        if len(held_reference) >= MIN_VIDEOS_FOR_REFERENCE_PROGRAM and self.tune_decoding:
            pieces = [(r, np.exp(self._held_out_log_proba(data, r, -1))) for r in held_reference]
            self.reference_program_ = fit_program(data.videos(pieces), data.rule_names)
        self.style_programs_ = self._style_programs(data, held_out)

    def _style_programs(
        self, data: TrainingData, held_out: dict[int, list[tuple[slice, np.ndarray]]]
    ) -> dict[int, StyleProgram]:
        """Each style's program, searched on its held-out pieces (by style slot)."""
        start = with_residual(self.reference_program_)
        programs = {}
        for slot, annotator in enumerate(self.style_annotators_):
            pieces = held_out.get(slot, [])
            program = start
            if pieces and self.evidence_[annotator].any():
                videos = data.videos(pieces, residual=True)
                program = fit_program(videos, data.rule_names, start=start)
            programs[annotator] = program
        return programs

    def _fine_tune(
        self,
        data: TrainingData,
        parts: dict[int, list[slice]],
        reference: Segments | None,
        rng: np.random.Generator,
    ) -> None:
        """Train styles from zero and the shared network gently, on every annotator at once.

        With no ``reference`` windows to replay only the styles learn: the shared
        network and the reference head stay exactly as they are (adapting).
        """
        net = self.net_
        with data.torch.no_grad():
            for p in net.style_parameters():
                p.zero_()
        styles = Segments.of(
            [rows for items in parts.values() for rows in items],
            slot=[slot for slot, items in parts.items() for _ in items],
        )
        n_replay = 0 if reference is None else round(self.batch_size * self.replay)
        n_style = max(1, self.batch_size - n_replay)
        steps = self._steps(self.style_epochs, styles.n_frames, n_style)
        logger.info(
            "styles: %d steps over %d frames (+ %d reference windows a step)",
            steps,
            styles.n_frames,
            n_replay,
        )
        sources = [(styles, n_style)]
        groups = [
            {"params": net.style_parameters(), "lr": self.style_learning_rate, "weight_decay": 0}
        ]
        if reference is not None:
            # The shared network learns gently too, replaying the reference's windows.
            sources.append((reference, n_replay))
            groups.insert(
                0, {"params": net.reference_parameters(), "lr": self.finetune_learning_rate}
            )
        evidence = data.torch.as_tensor(
            np.stack([self.evidence_[a] for a in self.style_annotators_]), device=data.device
        )
        train_steps(
            net,
            data,
            sources,
            groups,
            steps,
            rng,
            window=self.window,
            style_l2=self.style_l2,
            evidence=evidence,
        )

    def _held_out_log_proba(self, data: TrainingData, rows: slice, slot: int) -> np.ndarray:
        """Log-probabilities ``(frames, classes)`` of training rows in one style."""
        torch = data.torch
        net = self.net_
        net.eval()
        with torch.inference_mode():
            h = net.encode(torch.from_numpy(data.x[rows]).to(data.device).T[None])
            logp = torch.log_softmax(net.head_logits(h, torch.full((1,), -1, device=h.device)), 1)
            if slot >= 0:
                evidence = self.evidence_[self.style_annotators_[slot]]
                logp = style_log_proba(torch, net, h, logp, slot, evidence)
        return logp[0].T.double().cpu().numpy()

    def _adapt(self, torch: Any, device: Any, train: Dataset, progress: Progress) -> None:
        """Learn the styles of ``train``'s annotators with the reference frozen.

        The other annotators' styles are kept; an annotator that had one gets a new
        one (with a warning naming it).
        """
        train = styles_to_learn(train, self.reference_annotator)
        new = list(train.annotators)
        replaced = sorted(set(new) & set(self.style_annotators_))
        if replaced:
            warnings.warn(
                f"annotator(s) {replaced} already have a style in this model; adapting "
                "replaces it with the one learned from these videos",
                UserWarning,
                stacklevel=3,
            )
        table = compute_features(train, progress=progress.task("features", train.n_frames))
        check_feature_names(table.names, self.feature_names_, train.ids[0])
        labels = np.concatenate([s.labels for s in train]).astype(np.int64)
        rule_columns = rule_features(table.names)
        rules = table.values[:, rule_columns]  # a copy, in the features' own units
        old = self.net_
        standardise_as(table.values, old.feature_mean.cpu().numpy(), old.feature_std.cpu().numpy())
        kept = [a for a in self.style_annotators_ if a not in new]
        kept_slots = [self.style_annotators_.index(a) for a in kept]
        net = self._new_net(table.values.shape[1], len(new)).to(device)
        style_names = _style_names(net)
        shared = {k: v for k, v in old.state_dict().items() if k not in style_names}
        net.load_state_dict(shared, strict=False)
        self.net_, self.style_annotators_ = net, new
        parts = {
            slot: [table.rows(s.id) for s in train if s.annotator_id == a]
            for slot, a in enumerate(new)
        }
        for slot, a in enumerate(new):
            self.evidence_[a] = self._evidence([labels[r] for r in parts[slot]])
            self.style_counts_[a] = (len(parts[slot]), sum(r.stop - r.start for r in parts[slot]))
        names = [table.names[i] for i in rule_columns]
        data = TrainingData(torch, device, table.values, labels, rules, names)
        held_out = self._fit_styles(data, parts, None, np.random.default_rng(self.seed), progress)
        programs = self._style_programs(data, held_out)
        # One network again: the kept styles' slots first, then the new ones.
        state, old_state = net.state_dict(), old.state_dict()
        index = torch.as_tensor(kept_slots, dtype=torch.long, device=device)
        for name in style_names:
            state[name] = torch.cat([old_state[name][index], state[name]])
        self.net_ = self._new_net(table.values.shape[1], len(kept) + len(new)).to(device)
        self.net_.load_state_dict(state)
        self.style_programs_ = {**{a: self.style_programs_[a] for a in kept}, **programs}
        self.style_annotators_ = kept + new


def _style_names(net: Any) -> set[str]:
    """Names of the network's per-style parameters in its state dict."""
    style = {id(p) for p in net.style_parameters()}
    return {name for name, p in net.named_parameters() if id(p) in style}


def styles_to_learn(train: Dataset, reference: int) -> Dataset:
    """The videos ``adapt`` learns styles from, checked; the reference's left out.

    Raises
    ------
    DataFormatError
        If the data are unlabelled, use another vocabulary or hold no annotator
        but the reference.
    """
    require_labels(train, "adapting")
    if list(train.vocabulary) != list(VOCABULARY):
        raise DataFormatError(
            f"the data's classes are {train.vocabulary}, the model's {list(VOCABULARY)}; "
            "map the labels to the model's vocabulary first"
        )
    others = [a for a in train.annotators if a != reference]
    if not others:
        raise DataFormatError(
            f"the data hold only the reference annotator {reference}; adapt learns other "
            "annotators' styles (retrain with `ethostyle train` to change the reference)"
        )
    if reference in train.annotators:
        logger.warning(
            "the reference annotator %d's videos are not used by adapt (its model is not "
            "retrained)",
            reference,
        )
        train = train.filter(others)
    return train
