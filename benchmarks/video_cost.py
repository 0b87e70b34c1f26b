"""What watching episodes costs: rendering videos, checking them, cutting clips (issue 23).

On the shared videos of a simulated preset (seed 0), labelled by every annotator:

1. ``render_videos`` at 320 px (the simulator's and the demo's renders);
2. ``compare_annotators`` and ``write_report`` without clips (what ``compare-labels``
   does without ``--videos``): the reference the costs below are measured against;
3. ``open_videos`` (the checks before any work);
4. ``write_episode_clips`` from the 320 px renders, and from the same videos rendered at
   CalMS21's full 1024 x 570 (a lab camera's size), per clip.

Each step prints its wall-clock and CPU seconds (CPU time counts x264's own threads too).

Usage::

    nice -n 5 .venv/bin/python benchmarks/video_cost.py [--preset calms21-task2-like]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from ethostyle.compare import compare_annotators
from ethostyle.report import write_report
from ethostyle.report.clips import write_episode_clips
from ethostyle.simulate import simulate
from ethostyle.video import open_videos, render_videos


def _timed(label: str, work, frames: int | None = None):
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rate = f", {frames / wall:.0f} frames/s" if frames else ""
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU{rate}", flush=True)
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="calms21-task2-like")
    args = parser.parse_args()
    sim = simulate(args.preset, seed=0)
    shared = sim.shared[0].without_labels()
    frames = {s.id: s.n_frames for s in shared}
    rates = {s.id: s.video_fps for s in shared}
    print(f"{args.preset}: {len(shared)} shared videos, {sum(frames.values())} frames")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        total = sum(frames.values())
        _timed("render_videos, 320 px", lambda: render_videos(shared, out / "v320"), total)
        comparison, base = _timed("compare_annotators", lambda: compare_annotators(sim.shared))
        _, report = _timed("write_report (no clips)", lambda: write_report(out / "r", comparison))
        base += report
        videos, _ = _timed("open_videos (checks)", lambda: open_videos(out / "v320", frames, rates))
        for label, folder in (("320 px renders", out / "v320"), ("1024 x 570", out / "v1024")):
            if folder.name == "v1024":
                _timed(
                    "render_videos, 1024 px",
                    lambda: render_videos(shared, folder, width=1024),  # noqa: B023
                    total,
                )
                videos = open_videos(folder, frames, rates)
            clips, wall = _timed(
                f"write_episode_clips from {label}",
                lambda: write_episode_clips(comparison, videos, out / f"clips-{folder.name}"),  # noqa: B023
            )
            seconds = sum(c.clip_end_s - c.clip_start_s for c in clips)
            print(
                f"  {len(clips)} clips, {seconds:.0f} s of video in all: "
                f"{wall / max(len(clips), 1):.2f} s per clip; all clips "
                f"{wall / base:.2f} x compare-labels' work without videos ({base:.2f} s)"
            )


if __name__ == "__main__":
    main()
