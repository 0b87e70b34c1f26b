"""Annotator 0's own test F1 of the reference model against its number of training videos.

The reference caps every style (``benchmarks/style_ceiling.py``). This asks whether it is
short of data or of capacity: the reference-only model is trained on the first quarter,
half and all of annotator 0's training videos of a world (seed 0) and scored on annotator
0's test videos (macro F1 of attack, investigation and mount, as Task 2 scores an
annotator).

Run::

    .venv/bin/python benchmarks/reference_curve.py

(about 2.5 minutes on 2 cores). It prints one line per world and training size.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from accuracy import _world

from ethostyle.metrics import task2_score
from ethostyle.models.base import predict_dataset
from ethostyle.models.boosted import StyleTransferModel

#: Shares of annotator 0's training videos the reference is trained on.
SHARES: tuple[float, ...] = (0.25, 0.5, 1.0)


def main() -> None:
    """Train the reference on growing shares of its videos; print its own test F1."""
    warnings.simplefilter("ignore")
    for world in ("default", "heldout"):
        sim = _world(world, 0)
        reference = sim.train.filter([0])
        test = sim.test.filter([0])
        truth = {s.id: s.labels for s in test}
        scored_as = dict.fromkeys(truth, 1)  # Task 2 skips annotator 0: score it as one
        for share in SHARES:
            ids = reference.ids[: max(4, round(len(reference) * share))]
            start = time.perf_counter()
            model = StyleTransferModel(seed=0).fit(reference.select(ids))
            f1 = task2_score(truth, predict_dataset(model, test).labels, scored_as).f1
            print(
                f"{world}: {len(ids)} reference videos, annotator-0 test F1 {f1:.4f} "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
