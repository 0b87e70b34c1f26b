"""Style programs: an annotator's labelling style as a short list of interpretable edits.

A *style program* turns a reference model's per-frame class probabilities into
labels in one annotator's style. It holds a smoothing window and an ordered
list of :class:`Edit` records, each a rule a lab can read ("starts attack 0.6 s
earlier", "joins investigation bouts across pauses under 1.5 s", "does not
count investigation where the resident's nose is within 20 px of the intruder's
nose"). :func:`fit_program` chooses the edits per annotator by greedy forward
selection on *held-out* videos; each one is kept only if it raises held-out
macro F1 (attack, investigation, mount) by at least a penalty ``δ``.

How a program labels (:meth:`StyleProgram.apply`)
-------------------------------------------------
Whatever the order of its edits, a program runs one fixed pipeline; the edits
set its numbers. This is :func:`ethostyle.decode.decode`'s pipeline with more
steps, so an old :class:`~ethostyle.decode.DecoderParams` becomes a program
that labels identically (:meth:`StyleProgram.from_decoder`):

1. scores: log of the ``smooth``-frame moving average of the probabilities
   (each sequence apart); a ``residual`` edit takes the scores of the residual
   model instead;
2. ``threshold``: ``bias`` added to the behaviour's log-score (edits of one
   behaviour add up); then the best class per frame;
3. ``priority`` (``behavior`` over ``over``): frames labelled ``over`` whose
   ``behavior`` score is within ``bias`` log-units of it become ``behavior``;
4. ``exclude_when``: frames of the behaviour where the rule holds become
   ``other``; ``include_when``: ``other`` frames within ``frames`` frames of a
   bout of the behaviour where the rule holds become the behaviour;
5. ``merge_gap``: runs of ``other`` shorter than ``frames`` between two bouts of
   the behaviour are filled; ``min_bout``: bouts shorter than ``frames`` go to
   their best-scoring neighbour (the decoder's runner-up rule);
   ``relabel_short``: bouts still shorter than ``frames`` become ``to_behavior``;
   then gaps are merged again;
6. ``onset_shift`` / ``offset_shift``: every bout of the behaviour starts / ends
   ``frames`` later (negative: earlier); shifts of one behaviour add up. A bout
   that grows takes ``other`` frames, and the frames of ``over`` when a
   ``priority`` edit says so;
7. ``include_motif`` / ``exclude_motif`` / ``relabel_motif`` (:mod:`.motif_edits`):
   frames of a motif (:mod:`ethostyle.motifs`, given as ``motifs=``) labelled
   ``other`` / the behaviour become the behaviour / ``other`` / ``to_behavior``.

For ``merge_gap``, ``min_bout``, ``relabel_short`` and ``priority`` a later
edit of the same behaviour (and ``over``) replaces an earlier one. Rules are
conjunctions of at most two :class:`Condition` on named base pose features
(:func:`ethostyle.features.pose_features`), never the windowed columns.

The package
-----------
- :mod:`.edits`: the :class:`Edit` and :class:`Condition` records and their checks, and
  one :class:`~.edits.KindSpec` per kind in :data:`~.edits.KINDS` (fields, pipeline step,
  whether a later edit replaces an earlier one, search, sentence): a new kind is one entry;
- :mod:`.plan` and :mod:`.pipeline`: the numbers of each step; compile and apply;
- :mod:`.style_program`: the :class:`StyleProgram` record, its JSON and its labelling;
- :mod:`.words`: sentences, JSON records (fields in ``docs/styles.md``), per-annotator lines;
- :mod:`.effect`: what an edit changed in frames and bouts where it was fitted;
- :mod:`.rules`: the depth-2 rule learner; :mod:`.search`: :func:`fit_program`;
  :mod:`.selection`: the held-out choice every kind's search ends with;
  :mod:`.folds`: the runs of the videos held out in turn;
  :mod:`.motif_edits` and :mod:`.motif_search`: the motif kinds, and their search (one
  bit per motif, every motif scored at once).

How edits are chosen (:func:`fit_program`)
------------------------------------------
Greedy forward selection. Each round tries every kind of edit for every
behaviour. A candidate's parameter (a shift, a gap, a bias, a tree) is chosen
on the training folds only and scored on the held-out fold (each video is cut
into runs of equal labelled frames, at least four folds where the videos are long
enough, each held out in turn: :mod:`.folds`), so its gain is honest; grids are
searched coarse to fine, per fold. The candidate with the best pooled held-out
F1 gain is accepted if that gain is at least ``penalty``; its parameter is then
refitted on all videos, and what it changes there (frames and bouts of the behaviour,
taken from which labels) is stored with it and stated by :meth:`StyleProgram.describe`.
Every decoding is vectorised over frames and the per video confusion matrices of one
decoding serve every fold at once.

Condition rules are nodes of depth <= 2 Gini trees on the base pose features, grown
as :class:`~sklearn.tree.DecisionTreeClassifier` grows them (:mod:`.rules` says why
by hand): ``exclude_when`` is fitted on the frames the
current program labels as the behaviour (target: the annotator says it is
not), ``include_when`` on the ``other`` frames within 2 s of its bouts (target:
the annotator says it is). The node (one or two conditions on its path) that
best raises the behaviour's F1 on the training folds becomes the rule.

The penalty δ (:data:`DEFAULT_PENALTY`)
---------------------------------------
δ = 0.008 pooled held-out macro F1 per edit, measured by
``benchmarks/program_penalty.py --seeds 0 1 2`` (~3 min per seed on 2 cores): a
LightGBM reference (``REFERENCE_PARAMS``, windowed features) trained on 12
simulated annotator-0 videos predicts 22 others of 300 s; 6 fit the reference's
own program; the other 16 form 8 pairs of two videos of one annotator.

- False discovery: each pair labelled again by annotator 0's rules (its own
  lapses and boundary jitter), 3 label draws x 3 seeds = 72 annotators who label
  exactly as the reference. The best first edit of their search (penalty 0)
  gained at most +0.0056 held-out F1 (99th percentile +0.0055, median +0.0007):
  none reaches δ, which is 1.4x the largest.
- Real rules (24 pairs each; median gain, share passing δ): attack onset 24
  frames early +0.049 (all); investigation ending 36 frames late +0.024 (all);
  no face sniffing (nose-nose < 20 px) +0.031 (all); built-in styles 1-5 +0.025
  to +0.061 (all); attack bouts under 30 frames called investigation +0.019
  (71%: pairs with few short attacks carry little evidence); investigation
  joined across pauses under 60 frames +0.009 (58%: it changes few frames).

With more videos the noise shrinks, so δ is conservative there.

A motif edit's penalty may be scaled by the evidence it rests on
(:func:`~.selection.required_gain`, :data:`~.selection.EVIDENCE_SCALE`): the bouts
of the label it takes frames from that it changes, ``n``, give ``δ * sqrt(10 / n)``,
clipped; each round's candidates are compared by how far their gain clears their own
penalty. It is off by default: clipped to 0.5-2 δ it changed Task 2 F1 by at most
0.0007 on the sub-behaviour worlds (benchmarks/README.md, issue 21).

Examples
--------
>>> import numpy as np
>>> proba = np.array([[0.6, 0.1, 0.0, 0.3]] * 4 + [[0.0, 0.0, 0.0, 1.0]] * 4)
>>> program = StyleProgram(edits=(Edit("offset_shift", "attack", frames=2),))
>>> program.apply(proba).tolist()
[0, 0, 0, 0, 0, 0, 3, 3]
>>> program.describe(annotator=3)
['Annotator 3 ends attack 0.1 s (2 frames) after the reference annotator does.']
"""

from ethostyle.models.program.edits import (
    CONDITION_KINDS,
    EDIT_KINDS,
    INCLUDE_WINDOW,
    KINDS,
    MAX_CONDITIONS,
    SEARCHED_KINDS,
    Condition,
    Edit,
    KindSpec,
)
from ethostyle.models.program.effect import Effect
from ethostyle.models.program.rules import rule_features
from ethostyle.models.program.search import (
    DEFAULT_MAX_EDITS,
    DEFAULT_PENALTY,
    Video,
    fit_program,
    pooled_f1,
    residual_gain,
)
from ethostyle.models.program.style_program import StyleProgram
from ethostyle.models.program.words import annotator_lines

__all__ = [
    "CONDITION_KINDS",
    "DEFAULT_MAX_EDITS",
    "DEFAULT_PENALTY",
    "EDIT_KINDS",
    "INCLUDE_WINDOW",
    "KINDS",
    "MAX_CONDITIONS",
    "SEARCHED_KINDS",
    "Condition",
    "Edit",
    "Effect",
    "KindSpec",
    "StyleProgram",
    "Video",
    "annotator_lines",
    "fit_program",
    "pooled_f1",
    "residual_gain",
    "rule_features",
]
