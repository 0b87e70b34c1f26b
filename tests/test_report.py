"""Tests of ``ethostyle.report``: the files it writes, and the page as a real browser shows it.

The browser test renders ``report.html`` with headless Chromium (Debian package
``chromium``; ``.ci/run`` installs it) and checks the screenshot: not blank, and
every behaviour colour of the figures on it; a second run checks in the browser
that every embedded figure decoded and that the page fits a laptop screen.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from ethostyle.compare import compare_annotators
from ethostyle.errors import DataFormatError, EthostyleError
from ethostyle.metrics import task2_score
from ethostyle.report import write_report
from ethostyle.report.figures import BEHAVIOR_COLORS, ethogram_figure
from ethostyle.simulate import simulate

LAPTOP_WIDTH = 1280
FIGURES = ("ethogram", "disagreement", "shifts", "thresholds")


@pytest.fixture(scope="module")
def sim():
    return simulate("calms21-task2-like", seed=2)


@pytest.fixture(scope="module")
def comparison(sim):
    return compare_annotators(sim.shared)


@pytest.fixture(scope="module")
def score(sim):
    truth = {s.id: s.labels for s in sim.test}
    late = {sid: np.roll(labels, 5) for sid, labels in truth.items()}  # a real, imperfect guess
    return task2_score(truth, late, {s.id: s.annotator_id for s in sim.test})


@pytest.fixture(scope="module")
def report(comparison, score, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report")
    return write_report(out, comparison, {"late by 5 frames": score}, title="Test report")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed to test the report: sudo apt-get install -y chromium")


def run_chromium(*args: str) -> subprocess.CompletedProcess[str]:
    # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_report_writes_every_file(report) -> None:
    expected = {
        "report",
        "disagreement",
        "bout_pairs",
        "bout_confusion",
        "feature_lines",
        "summary",
        "scores",
        *(f"{f}_figure" for f in FIGURES),
    }
    assert set(report) == expected
    for path in report.values():
        assert path.stat().st_size > 0, path
    for name in FIGURES:
        image = imread(report[f"{name}_figure"])
        assert image.shape[1] >= 800 and image.std() > 0.05, name


def test_report_page_is_self_contained(report, comparison) -> None:
    page = report["report"].read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == len(FIGURES)
    # nothing to fetch: no external addresses, scripts, stylesheets or fonts
    assert not re.search(r"(src|href)=\"(?!data:)", page)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    for annotator, sentences in comparison.summaries.items():
        assert f"Annotator {annotator} vs annotator 0" in page
        assert sentences[0].split("(")[0].replace("'", "&#x27;").strip() in page
    assert "pooled 1,2,3,4,5 (challenge)" in page and "late by 5 frames" in page


def test_report_renders_in_headless_chromium(report, tmp_path) -> None:
    shot = tmp_path / "page.png"
    run_chromium(
        "--hide-scrollbars",
        f"--window-size={LAPTOP_WIDTH},5000",
        f"--screenshot={shot}",
        report["report"].as_uri(),
    )
    image = imread(shot)[..., :3]
    assert image.shape[:2] == (5000, LAPTOP_WIDTH)
    not_white = (image < 0.95).any(axis=-1).mean()
    assert not_white > 0.05, "the page rendered (nearly) blank"
    for behavior, color in BEHAVIOR_COLORS.items():
        rgb = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        hits = (np.abs(image - rgb).max(axis=-1) < 0.03).sum()
        assert hits > 500, f"no {behavior} colour on the rendered page: figures missing"


def test_every_figure_decodes_in_the_browser_and_fits_a_laptop(report, tmp_path) -> None:
    probe = tmp_path / "probe.html"
    script = (
        "<script>window.addEventListener('load', () => { const imgs = [...document.images];"
        " document.title = 'decoded ' + imgs.filter(i => i.complete && i.naturalWidth > 0)"
        ".length + ' of ' + imgs.length + ' width ' + document.documentElement.scrollWidth;"
        " });</script></body>"
    )
    probe.write_text(report["report"].read_text().replace("</body>", script))
    result = run_chromium(f"--window-size={LAPTOP_WIDTH},800", "--dump-dom", probe.as_uri())
    title = re.search(r"<title>decoded (\d+) of (\d+) width (\d+)</title>", result.stdout)
    assert title, result.stdout[:500]
    decoded, total, width = map(int, title.groups())
    assert decoded == total == len(FIGURES)
    assert width <= LAPTOP_WIDTH


def test_report_of_a_score_alone(score, tmp_path) -> None:
    paths = write_report(tmp_path, score=score)
    assert set(paths) == {"report", "scores"}
    page = paths["report"].read_text()
    assert "MABe 2021 Task 2 score" in page and "<img" not in page
    assert paths["scores"].read_text().splitlines()[0].startswith("score,annotators,frames,F1")


def test_report_needs_something_to_report(tmp_path) -> None:
    with pytest.raises(EthostyleError, match="nothing to report"):
        write_report(tmp_path)


def test_ethogram_of_an_unknown_video_names_the_choices(comparison) -> None:
    with pytest.raises(DataFormatError, match="sim-shared-000"):
        ethogram_figure(comparison, "no-such-video")
