"""``ethostyle motifs``: the sub-behaviours a model found without labels, and how each
annotator labels them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ethostyle.cli.app import app, check_output, console, friendly_errors

__all__ = ["motifs"]

_CSV_HELP = (
    "Also write the table as CSV: per motif its frames, description and, per annotator, its "
    "labelled frames and the share of them in each behaviour (annotator<k>_attack, ...)."
)
_PX_PER_CM_HELP = "Pixels per centimetre of the videos: distances and speeds in cm and cm/s."
#: Shares below this are left out of a table cell (they stay in the CSV).
_SHOWN_SHARE = 0.05
_SHORT = {"attack": "att", "investigation": "inv", "mount": "mnt", "other": "oth"}


@app.command("motifs")
@friendly_errors
def motifs(
    model_dir: Annotated[Path, typer.Argument(help="A model directory from `ethostyle train`.")],
    csv: Annotated[Path | None, typer.Option("--csv", help=_CSV_HELP)] = None,
    px_per_cm: Annotated[
        float | None, typer.Option("--px-per-cm", min=1e-6, help=_PX_PER_CM_HELP)
    ] = None,
) -> None:
    """List the motifs a model found in the pose without labels, and how each annotator
    labels them.

    A motif is a sub-behaviour shared by every annotator (e.g. "resident moving at
    25 cm/s about one body length behind the intruder"). For each: its frames in the
    videos the model was trained on, a description with units, and per annotator the
    share of its labelled frames of the motif in each behaviour (att attack, inv
    investigation, mnt mount, oth other; shares under 5% left out). Style programs
    can include, exclude or relabel a motif (describe-style states those edits).
    """
    from ethostyle.compare import checked_px_per_cm
    from ethostyle.compare.motifs import motif_overview
    from ethostyle.errors import EthostyleError
    from ethostyle.models.store import load_model
    from ethostyle.report.tables import write_csv

    checked_px_per_cm(px_per_cm)
    if csv is not None:
        check_output(csv, directory=False)
    model = load_model(model_dir)
    vocab = getattr(model, "motifs_", None)
    if vocab is None:
        raise EthostyleError(
            f"{model_dir}: this model has no motifs (it was trained before motifs existed, "
            "without them, or by a model family that learns none); train it again with "
            "`ethostyle train` to find them"
        )
    table = motif_overview(vocab, px_per_cm)
    annotators = sorted(vocab.label_counts)
    shown = Table(title=f"{vocab.n_motifs} motifs of {model_dir}", show_lines=False)
    shown.add_column("motif", justify="right")
    shown.add_column("frames", justify="right")
    shown.add_column("description", overflow="fold", min_width=24, ratio=2)
    for a in annotators:
        shown.add_column(f"annotator {a}", overflow="fold", ratio=1)
    for _, row in table.iterrows():
        cells = [_cell(row, a) for a in annotators]
        shown.add_row(str(row["motif"]), str(row["frames"]), row["description"], *cells)
    console.print(shown)
    if csv is not None:
        console.print(f"wrote {write_csv(table, csv)}", highlight=False)


def _cell(row, annotator: int) -> str:
    """One annotator's labels of one motif: its largest shares, e.g. "inv 80% oth 20%"."""
    frames = int(row[f"annotator{annotator}_frames"])
    if frames == 0:
        return "-"
    shares = {name: row[f"annotator{annotator}_{name}"] for name in _SHORT}
    kept = sorted((s, n) for n, s in shares.items() if s >= _SHOWN_SHARE)
    return " ".join(f"{_SHORT[n]} {s:.0%}" for s, n in reversed(kept)) + f" ({frames})"
