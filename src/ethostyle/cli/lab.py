"""Commands that bring a lab's own data in and take predictions back out.

``import-pose`` (DeepLabCut, SLEAP, LightningPose, NWB -> CalMS21 layout),
``import-labels`` (label CSVs and BORIS exports -> a labelled data set under an
annotator's name), ``export-boris`` (predicted bouts -> spreadsheets BORIS
imports), ``export-simba`` (labels -> per-frame 0/1 tables SimBA imports),
``export-nwb`` (labels -> NWB interval tables) and ``example-lab-files`` (a
made-up lab project to try them on).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ethostyle.cli.app import app, check_output, console, friendly_errors
from ethostyle.errors import EthostyleError

if TYPE_CHECKING:
    from ethostyle.importers import LabelImport


@app.command("import-pose")
@friendly_errors
def import_pose(
    files: Annotated[
        list[Path],
        typer.Argument(
            help=(
                "Pose files: DeepLabCut .h5/.csv, SLEAP .slp/.h5, LightningPose .csv, NWB .nwb. "
                "A file with one mouse is followed by the other mouse's file (resident first)."
            )
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="File to write (test.npy layout).")],
    source: Annotated[
        str | None,
        typer.Option(help="The tracking program (DeepLabCut, SLEAP, LightningPose, NWB)."),
    ] = None,
    fps: Annotated[
        float | None,
        typer.Option(
            help="The videos' frame rate (needed unless the file records it, as NWB does); "
            "poses are resampled to 30 Hz if it differs. `predict --fps` gives labels back at it."
        ),
    ] = None,
    bodyparts: Annotated[
        str | None,
        typer.Option(
            help="Your keypoint names for CalMS21's parts, e.g. 'snout=nose,tail1=tail_base'."
        ),
    ] = None,
    individuals: Annotated[
        str | None,
        typer.Option(help="Resident and intruder in multi-animal files, e.g. 'black,white'."),
    ] = None,
    sequence_id: Annotated[
        str | None, typer.Option("--id", help="Sequence id (one video only; default: file name).")
    ] = None,
    annotator_id: Annotated[
        int, typer.Option(help="Annotator whose style these videos are to be labelled in.")
    ] = 0,
    scale: Annotated[
        float,
        typer.Option(
            help="Multiply every coordinate: the pixels per cm for keypoints in cm, or the "
            "factor that brings another camera's pixels to the model's scale."
        ),
    ] = 1.0,
) -> None:
    """Convert pose-tracking files into one CalMS21-layout file ethostyle can label.

    Body parts are matched to nose, ears, neck, hips and tail base by name; the
    summary says which parts are missing and which features that weakens.
    """
    _check_pose_options(fps, annotator_id, scale)
    _import_pose(
        files,
        out,
        sequence_id,
        source=source,
        fps=fps,
        bodyparts=bodyparts,
        individuals=individuals,
        annotator_id=annotator_id,
        scale=scale,
    )


def _check_pose_options(fps: float | None, annotator_id: int, scale: float) -> None:
    """Refuse ``import-pose``'s impossible numbers (a frame rate, an annotator id, a scale)."""
    # Checked before the importers load (and their dependencies warn about) anything.
    if fps is not None and not fps > 0:
        raise EthostyleError(
            f"--fps {fps:g}: give the videos' frame rate in frames per second, a positive "
            "number (e.g. --fps 25)"
        )
    if annotator_id < 0:
        raise EthostyleError(
            f"--annotator-id {annotator_id}: annotator ids are 0 or more (0 is the reference "
            "annotator of CalMS21)"
        )
    if not scale > 0:
        raise EthostyleError(f"--scale {scale:g}: give a positive factor (1 keeps the pixels)")


def _import_pose(
    files: list[Path],
    out: Path,
    sequence_id: str | None,
    *,
    source: str | None,
    fps: float | None,
    bodyparts: str | None,
    individuals: str | None,
    annotator_id: int,
    scale: float,
) -> None:
    """Import ``files`` (one video under ``sequence_id``, or one per file) and write ``out``."""
    from ethostyle.data import Dataset
    from ethostyle.importers import import_pose as import_one
    from ethostyle.importers import import_pose_files, parse_name_mapping
    from ethostyle.io import save_test_npy

    check_output(out, directory=False)
    options = {
        "source": source,
        "fps": fps,
        "bodyparts": parse_name_mapping(bodyparts, option="--bodyparts"),
        "individuals": None if individuals is None else individuals.split(","),
        "annotator_id": annotator_id,
        "scale": scale,
    }
    if sequence_id is not None:
        if len(files) > 2:
            raise EthostyleError("--id names one video: give its file (or its two files) only")
        results = [import_one(*files, sequence_id=sequence_id, **options)]
    else:
        results = import_pose_files(files, **options)
    for result in results:
        console.print(result.summary(), highlight=False)
    save_test_npy(Dataset(r.sequence for r in results), out)
    console.print(f"wrote {len(results)} sequence(s): {out}")


@app.command("import-labels")
@friendly_errors
def import_labels(
    poses: Annotated[Path, typer.Argument(help="Poses from `ethostyle import-pose`.")],
    label_files: Annotated[
        list[Path],
        typer.Argument(
            help="Label files: BORIS exports, or CSVs with one row per frame or per bout."
        ),
    ],
    annotator: Annotated[str, typer.Option(help="Who labelled them (a name).")],
    out: Annotated[Path, typer.Option("--out", help="Labelled file to write (train.npy layout).")],
    base: Annotated[
        Path | None,
        typer.Option(help="A labelled data set to add to, e.g. CalMS21's train.npy."),
    ] = None,
    behaviors: Annotated[
        str | None,
        typer.Option(
            help="Your behaviour names for ethostyle's, e.g. 'sniff=investigation,rest=other'."
        ),
    ] = None,
    units: Annotated[
        str,
        typer.Option(
            help="Unit of start/stop columns in bout CSVs: 'frames' (the video's own frame "
            "numbers, converted at the rate import-pose recorded) or 'seconds'; nothing else. "
            "Numbers with a fraction are refused as frames."
        ),
    ] = "frames",
    sequence: Annotated[
        str | None, typer.Option(help="Put every label on this sequence id.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="Keep only rows about this animal (BORIS subject).")
    ] = None,
    annotator_id: Annotated[
        int | None, typer.Option(help="Id for a new annotator (default: the next free id).")
    ] = None,
) -> None:
    """Attach one annotator's labels to imported poses, under the annotator's name.

    The output is a train.npy-layout file that keeps the annotator's name with
    its id; `ethostyle train` learns that annotator's style from it.
    """
    from ethostyle.importers import (
        import_labels as attach,
    )
    from ethostyle.importers import (
        load_lab_dataset,
        parse_name_mapping,
        read_label_file,
    )
    from ethostyle.io import load

    check_output(out, directory=False)
    result = attach(
        load(poses),
        [read_label_file(path, units=units) for path in label_files],
        annotator=annotator,
        base=None if base is None else load_lab_dataset(base),
        annotator_id=annotator_id,
        behaviors=parse_name_mapping(behaviors, option="--behaviors"),
        sequence=sequence,
        subject=subject,
    )
    result.lab.save(out)
    _print_labels_summary(annotator, result, out)


def _print_labels_summary(annotator: str, result: LabelImport, out: Path) -> None:
    """Say which id the annotator got, what it labelled, what was left out and what was written."""
    from ethostyle.metrics.labelled import n_labelled

    dataset = result.lab.dataset
    mine = dataset.filter([result.annotator_id])
    labelled = sum(n_labelled(s.labels) for s in mine if s.labels is not None)
    unlabelled = (
        f" (and {mine.n_frames - labelled} marked unlabelled)" if labelled < mine.n_frames else ""
    )
    console.print(
        f"{annotator!r} is annotator {result.annotator_id}: {len(mine)} labelled sequence(s), "
        f"{labelled} frames{unlabelled}",
        highlight=False,
    )
    if result.unlabelled:
        console.print(
            f"left out (no labels): {', '.join(result.unlabelled)}; predict them instead",
            highlight=False,
        )
    console.print(
        f"wrote {len(dataset)} sequence(s), annotators {dataset.annotators}: {out}",
        highlight=False,
    )


@app.command("export-boris")
@friendly_errors
def export_boris(
    source: Annotated[
        Path,
        typer.Argument(help="Bouts CSV from `ethostyle predict --bouts`, or a submission .npy."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for one spreadsheet per video.")],
    subject: Annotated[
        str, typer.Option(help="BORIS subject of every event (default: no focal subject).")
    ] = "",
    file_format: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="xlsx|ods|csv|tsv",
            help="xlsx or ods (BORIS imports these), csv or tsv.",
        ),
    ] = "xlsx",
    behaviors: Annotated[
        str | None,
        typer.Option(help="Write your behaviour names, e.g. 'sniff=investigation'."),
    ] = None,
    fps: Annotated[
        float,
        typer.Option(
            "--fps",
            help="The rate a labels .npy counts frames at: 30 for a submission, the video's "
            "rate for `predict --fps` output. A bouts CSV states its own.",
        ),
    ] = 30.0,
) -> None:
    """Write predicted bouts as spreadsheets BORIS can import, one per video.

    In BORIS, define attack, investigation and mount (or your names for them)
    as state events, open the video's observation and use File > Import
    observations on its <sequence>.boris.xlsx.
    """
    from ethostyle.importers import export_boris as export
    from ethostyle.importers import parse_name_mapping

    if file_format not in ("xlsx", "ods", "csv", "tsv"):
        raise EthostyleError(f"--format {file_format!r}: choose xlsx, ods, csv or tsv")
    check_output(out, directory=True)
    mapping = parse_name_mapping(behaviors, option="--behaviors")
    written = export(
        source,
        out,
        subject=subject,
        suffix=f".{file_format}",
        names={ours: theirs for theirs, ours in mapping.items()},
        fps=fps,
    )
    for path in written:
        console.print(f"wrote {path}")


@app.command("export-simba")
@friendly_errors
def export_simba(
    source: Annotated[
        Path,
        typer.Argument(help="Labels to export: a submission or labels .npy (predicted or not)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for one table per video.")],
    behaviors: Annotated[
        str | None,
        typer.Option(help="Write your behaviour names, e.g. 'sniff=investigation'."),
    ] = None,
) -> None:
    """Write labels as one per-frame 0/1 table per video, for SimBA (and any script).

    Each <video>_labels.csv has a frame-index column, 'background' and one column
    per behaviour, 1 in the frames it is labelled: the layout of DeepEthogram's
    label files. In SimBA: Label behavior > Import third-party annotations >
    DeepEthogram, on this folder. One row per frame of the labels file.
    """
    from ethostyle.importers import export_frame_tables, parse_name_mapping

    check_output(out, directory=True)
    mapping = parse_name_mapping(behaviors, option="--behaviors")
    names = {ours: theirs for theirs, ours in mapping.items()}
    for path in export_frame_tables(source, out, names=names):
        console.print(f"wrote {path}")


@app.command("export-nwb")
@friendly_errors
def export_nwb(
    source: Annotated[
        Path,
        typer.Argument(help="Labels to export: a submission or labels .npy (predicted or not)."),
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder for one .nwb file per video.")],
    fps: Annotated[
        float,
        typer.Option(
            "--fps",
            help="The rate the labels count frames at: 30 for a submission, the video's rate "
            "for `predict --fps` output. Bout times in seconds are frames / fps.",
        ),
    ] = 30.0,
    behaviors: Annotated[
        str | None,
        typer.Option(help="Write your behaviour names, e.g. 'sniff=investigation'."),
    ] = None,
) -> None:
    """Write each video's labelled bouts as an NWB file (a 'behavior_bouts' interval table).

    One <video>.nwb per video, written with pynwb (pip install 'ethostyle[pose]'):
    /intervals/behavior_bouts holds start_time, stop_time (s), behavior,
    start_frame and stop_frame of every bout.
    """
    from ethostyle.importers import export_nwb as export
    from ethostyle.importers import parse_name_mapping

    check_output(out, directory=True)
    mapping = parse_name_mapping(behaviors, option="--behaviors")
    names = {ours: theirs for theirs, ours in mapping.items()}
    for path in export(source, out, fps=fps, names=names):
        console.print(f"wrote {path}")


@app.command("example-lab-files")
@friendly_errors
def example_lab_files(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the example files into.")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
) -> None:
    """Write a made-up lab's DeepLabCut and SLEAP files and a BORIS export to try.

    Four simulated videos filmed at 25 Hz, with the lab's own body-part and
    behaviour names; docs/walkthrough.md takes them from import to a style model.
    """
    from ethostyle.importers.example import write_lab_example

    check_output(out, directory=True)
    example = write_lab_example(out, seed=seed)
    for path in [*example.dlc_files, *example.sleap_files, example.boris_file]:
        console.print(f"wrote {path}")
