"""Make the README's figures: ``docs/img/ethogram.png`` and ``docs/img/disagreement.png``.

The shared videos of the simulated data set (the same videos every simulated
annotator labelled) are labelled, *without their labels*, in every annotator's
style by style models trained on the simulated training file, and compared with
``ethostyle.compare``. ``--from-labels`` compares the annotators' own labels of
those videos instead (seconds instead of minutes). Both figures are checked to be
under 200 KB.

Usage::

    .venv/bin/python benchmarks/make_readme_figures.py                 # train, then compare
    .venv/bin/python benchmarks/make_readme_figures.py --model demo-output/model
    .venv/bin/python benchmarks/make_readme_figures.py --from-labels
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ethostyle.compare import Comparison, compare_annotators, compare_model
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import load_model
from ethostyle.report.figures import disagreement_figure, ethogram_figure, png_bytes
from ethostyle.report.tables import write_bytes
from ethostyle.simulate import simulate

MAX_BYTES = 200_000
WIDTH_IN = 9.0
DPI = 90


def comparison_for(args: argparse.Namespace) -> Comparison:
    sim = simulate(args.preset, seed=args.seed)
    if args.from_labels:
        return compare_annotators(sim.shared)
    if args.model is not None:
        model = load_model(args.model)
    else:
        start = time.perf_counter()
        model = StyleTransferModel(seed=args.seed).fit(sim.train)
        print(f"trained style models in {time.perf_counter() - start:.0f} s")
    return compare_model(model, sim.shared[model.reference_annotator].without_labels())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--preset", default="calms21-task2-like")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", type=Path, help="a trained model of the same preset and seed")
    parser.add_argument(
        "--from-labels", action="store_true", help="compare the annotators' own labels"
    )
    args = parser.parse_args()
    comparison = comparison_for(args)
    figures = {
        "ethogram.png": ethogram_figure(comparison, width_in=WIDTH_IN),
        "disagreement.png": disagreement_figure(comparison, width_in=WIDTH_IN),
    }
    for name, figure in figures.items():
        data = png_bytes(figure, dpi=DPI)
        if len(data) > MAX_BYTES:
            raise SystemExit(f"{name} is {len(data)} bytes, over {MAX_BYTES}; lower DPI")
        path = write_bytes(data, args.out / name)
        print(f"wrote {path} ({len(data) / 1000:.0f} KB)")
    for annotator, sentences in comparison.summaries.items():
        print(f"annotator {annotator}: " + " ".join(sentences))


if __name__ == "__main__":
    main()
