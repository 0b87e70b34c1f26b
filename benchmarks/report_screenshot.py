"""Screenshot the first screen of the compare report: ``docs/img/report_first_screen.png``.

The report is the one ``ethostyle compare-labels`` writes for the simulator's
shared videos (``ethostyle simulate``, preset ``calms21-task2-like``, seed 0:
three videos every annotator labelled, annotators 0-5). Headless Chromium
(Debian package ``chromium``) renders ``report.html`` in a 1280 x 800 window,
a laptop screen; the screenshot is checked to be under 500 KB.

Usage::

    .venv/bin/python benchmarks/report_screenshot.py [--out docs/img] [--keep REPORT_DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ethostyle.compare import compare_labels, read_label_files
from ethostyle.report import write_report
from ethostyle.simulate import simulate, write_simulation

MAX_BYTES = 500_000
WINDOW = (1280, 800)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--keep", type=Path, help="write the report here instead of a temp folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    browser = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if browser is None:
        sys.exit("needs headless Chromium: apt-get install -y chromium")
    with tempfile.TemporaryDirectory() as tmp:
        files = write_simulation(simulate("calms21-task2-like", seed=args.seed), Path(tmp) / "sim")
        shared = sorted(p for role, p in files.items() if role.startswith("shared_annotator"))
        read = read_label_files(shared)
        comparison = compare_labels(read.labels, read.poses_for(0))
        report_dir = args.keep or Path(tmp) / "report"
        names = " ".join(p.name for p in shared)
        paths = write_report(
            report_dir,
            comparison,
            title="Where do annotators disagree?",
            notes=[f"Label files: {names} (ethostyle simulate, seed {args.seed})."],
        )
        shot = args.out / "report_first_screen.png"
        args.out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                f"--screenshot={shot.resolve()}",
                paths["report"].resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    size = shot.stat().st_size
    if size > MAX_BYTES:
        sys.exit(f"{shot} is {size} bytes, over {MAX_BYTES}")
    print(f"wrote {shot} ({size / 1000:.0f} KB)")


if __name__ == "__main__":
    main()
