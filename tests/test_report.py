"""Tests of ``ethostyle.report``: the files it writes, and the page as a real browser shows it.

The browser test renders ``report.html`` with headless Chromium (Debian package
``chromium``; ``make test`` installs it where it can, or names it before any test
runs) and checks the screenshot: not blank, and
every behaviour colour of the figures on it; a second run checks in the browser
that every embedded figure decoded and that the page fits a laptop screen.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread
from matplotlib.transforms import Bbox
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from ethostyle.compare import compare_annotators, compare_labels, top_episodes
from ethostyle.errors import DataFormatError, EthostyleError
from ethostyle.metrics import task2_score
from ethostyle.report import write_report
from ethostyle.report.figures import (
    ANNOTATOR_COLORS,
    BEHAVIOR_COLORS,
    SHIFT_CLIP_S,
    clock_time,
    episode_figure,
    ethogram_figure,
    png_bytes,
    shift_figure,
    threshold_figure,
)
from ethostyle.simulate import simulate

LAPTOP_WIDTH = 1280
FIGURES = (
    "ethogram",
    *(f"episodes_annotator{a}" for a in range(1, 6)),
    "pairwise",
    "disagreement",
    "shifts",
    "thresholds",
)
#: The page's sections, in the order a reader meets them: the answer first, the score last.
SECTIONS = (
    "How each annotator differs",
    "Moments to check in the video",
    "Every pair of annotators",
    "Every difference found",
    "How much, how long, and when",
    "Where each style draws the line",
    "Bouts only one side has",
    "All numbers",
    "Challenge score",
)
RULES = {2: ["Leaves out investigation while the nose is more than 15 px from the intruder."]}


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
    return write_report(
        out, comparison, {"late by 5 frames": score}, title="Test report", learned_rules=RULES
    )


#: The names .ci/need-chromium (run by `make test` before the tests) looks for.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
REPO = Path(__file__).resolve().parents[1]


def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    # `make test` stops before any test runs when Chromium is missing; pytest run
    # directly lands here: a failure that says what to install, never a skip.
    pytest.fail(
        "headless Chromium is needed to test the report: sudo apt-get install -y chromium "
        "(`make test` installs it where it can, or says so before any test runs)"
    )


def _bare_path(tmp_path: Path, *programs: str) -> dict[str, str]:
    """An environment whose PATH holds only ``id`` and the named fake programs."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "id").symlink_to(shutil.which("id"))
    for name in programs:
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": str(bin_dir), "LC_ALL": "C"}


def test_make_test_names_the_missing_browser_in_one_line_before_anything_runs(tmp_path):
    # A bare machine: no Chromium, and no apt-get to install it with.
    env = _bare_path(tmp_path)
    make = shutil.which("make") or "make"
    done = subprocess.run(
        [make, "-C", str(REPO), "--no-print-directory", "-n", "test"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    recipe = done.stdout.splitlines()
    assert "need-chromium" in recipe[0] and "pytest" in recipe[-1], recipe
    done = subprocess.run(
        [make, "-C", str(REPO), "--no-print-directory", "browser"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0 and done.stdout == ""
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make:")]
    assert len(ours) == 1, done.stderr
    assert "headless Chromium is missing" in ours[0]
    assert "sudo apt-get install -y chromium" in ours[0] and "make test again" in ours[0]


@pytest.mark.parametrize("name", BROWSERS)
def test_make_test_goes_on_when_a_browser_is_on_the_path(tmp_path, name):
    done = subprocess.run(
        ["/bin/sh", str(REPO / ".ci" / "need-chromium")],
        env=_bare_path(tmp_path, name), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


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
        "episodes",
        "pairwise",
        "differences",
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
    for name in FIGURES:  # each figure file is the very image on the page
        data = base64.b64encode(report[f"{name}_figure"].read_bytes()).decode("ascii")
        assert f'src="data:image/png;base64,{data}"' in page, name
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


def console_messages(page: Path) -> list[str]:
    """What the page wrote to the browser's console (errors, failed loads, exceptions)."""
    result = run_chromium(
        "--enable-logging=stderr",
        "--v=0",
        f"--window-size={LAPTOP_WIDTH},800",
        "--dump-dom",
        page.as_uri(),
    )
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def test_report_renders_without_console_errors(report, tmp_path) -> None:
    # the check sees console output: a page with an error is caught ...
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><body><script>console.error('boom')</script></body>")
    assert any("boom" in line for line in console_messages(broken))
    # ... and the report has none
    assert console_messages(report["report"]) == []


def test_the_answer_comes_first_and_the_score_last(report) -> None:
    page = report["report"].read_text(encoding="utf-8")
    where = [page.index(f"<h2>{html.escape(title)}</h2>") for title in SECTIONS]
    assert where == sorted(where)
    answer = page[where[0] : where[1]]
    rule = html.escape(RULES[2][0])
    # annotator 2's learned rules, then its three largest differences, before any figure
    block = answer.split("Annotator 2 vs annotator 0")[1].split("Annotator 3 vs")[0]
    assert block.index("Learned rules") < block.index(rule) < block.index("Largest differences")
    assert block.count("<li>") == 1 + 3
    assert "<img" not in answer
    assert (
        "Learned rules" not in answer.split("Annotator 1 vs annotator 0")[1].split("Annotator 2")[0]
    )


def test_episode_snapshots_say_who_says_what_and_when(report, comparison) -> None:
    page = report["report"].read_text(encoding="utf-8")
    section = page.split("<h2>Moments to check in the video</h2>")[1].split("<h2>")[0]
    shown = top_episodes(comparison.episodes, 0, 5)
    assert len(shown) > 10
    first = shown.iloc[0]
    assert f"<td>{clock_time(first['start_s'])}</td>" in section
    assert "annotator 0 says" in section and "fig-ethogram" in section
    # the ethogram shows the video whose labels differ most from the reference's
    assert f"Video {comparison.most_disputed_video()}, the video whose labels" in section


def _lab(color: str) -> np.ndarray:
    """CIELAB (D65) of a hex sRGB colour."""
    rgb = np.array([int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ linear
        / np.array([0.9505, 1.0, 1.089])
    )
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_annotator_colours_are_easy_to_tell_apart() -> None:
    # annotator 4's pale yellow beside annotator 1's orange was hard to tell apart
    colors = [*ANNOTATOR_COLORS, "#222222"]  # and the reference's near-black
    for i, a in enumerate(colors):
        for b in colors[i + 1 :]:
            assert np.linalg.norm(_lab(a) - _lab(b)) > 30, (a, b)
    for color in ANNOTATOR_COLORS:  # no pale line on the white page
        assert _lab(color)[0] < 80, color


def test_shift_plot_says_how_many_shifts_lie_beyond_its_edge(comparison) -> None:
    pairs = comparison.bout_pairs[comparison.bout_pairs["annotator"] != comparison.reference]
    beyond = (pairs["onset_shift_frames"].abs() / comparison.fps > SHIFT_CLIP_S).sum()
    texts = [t.get_text() for ax in shift_figure(comparison).axes for t in ax.texts]
    assert beyond > 0 and f"{beyond} of {len(pairs)} shifts lie beyond ±2 s" in texts[0]


def test_threshold_histograms_label_their_y_axis(comparison) -> None:
    figure = threshold_figure(comparison)
    panels = [ax for ax in figure.axes if ax.patches]
    assert panels and all("% of its frames" in ax.get_ylabel() for ax in panels)


def test_a_ten_minute_video_stays_legible_in_the_ethogram() -> None:
    rng = np.random.default_rng(0)
    n = 10 * 60 * 30
    ref = np.repeat(rng.integers(0, 4, n // 15), 15).astype(np.int8)
    other = ref.copy()
    other[rng.random(n) < 0.002] = 1
    busy = np.roll(ref, 20)  # every bout 0.67 s late: the video with the most disagreement
    comparison = compare_labels({0: {"calm": ref, "busy": ref}, 1: {"calm": other, "busy": busy}})
    assert comparison.most_disputed_video() == "busy"
    figure = ethogram_figure(comparison)
    assert "Video busy" in figure.axes[0].get_title(loc="left")
    strips = [ax for ax in figure.axes if ax.get_xlim()[1] > ax.get_xlim()[0]]
    assert len(strips) == 10  # a minute per strip
    dpi = 100  # as in the report, where the page shows the image at about its own size
    image = imread(io.BytesIO(png_bytes(figure, dpi=dpi)))  # drawn: the layout is final
    px_per_s = strips[0].get_position().width * figure.get_figwidth() * dpi / 60
    assert px_per_s * 0.5 >= 7  # a half-second episode is at least 7 px wide
    assert image.shape[1] == 1000 and image.shape[0] < 2000


def test_f1_where_neither_side_has_the_behaviour_reads_n_a(tmp_path) -> None:
    labels = {
        0: {"v": np.array([3, 1, 1, 1, 3, 3] * 30)},
        1: {"v": np.array([3, 3, 1, 1, 3, 3] * 30)},
    }
    page = write_report(tmp_path, compare_labels(labels))["report"].read_text()
    numbers = page.split("<h2>All numbers</h2>")[1]
    assert "<td>n/a</td>" in numbers and "n/a where neither side" in numbers
    assert "mount n/a / n/a" in page


# ------------------------------------------------------------ the page's tables and figures
class _Tables(HTMLParser):
    """Every table of a page as ``(section heading, rows of cell texts)``."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.section = ""
        self._cell: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append((self.section, []))
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "h2":
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "h2" and self._heading is not None:
            self.section, self._heading = "".join(self._heading), None

    def handle_data(self, data: str) -> None:
        for part in (self._cell, self._heading):
            if part is not None:
                part.append(data)


def page_tables(page: str) -> list[tuple[str, list[list[str]]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


#: The page's column (main: 1100 px less 2 rem of padding each side) and what a table cell
#: takes at the page's table font (0.85 rem = 13.6 px): about 8 px a character, measured on
#: DejaVu Sans, the widest common sans-serif, plus 2 × 0.55 rem of padding.
COLUMN_PX, CHAR_PX, CELL_PADDING_PX = 1100 - 64, 8.0, 17.6


def narrowest_width(rows: list[list[str]]) -> float:
    """The least width a table can take: per column, its longest unbreakable word (a
    browser breaks lines at spaces and after a hyphen before a letter)."""
    words = [[re.split(r"\s+|(?<=-)(?=[A-Za-z])", cell) for cell in row] for row in rows]
    columns = max(len(row) for row in rows)
    longest = [
        max(len(word) for row in words if j < len(row) for word in row[j]) for j in range(columns)
    ]
    return sum(n * CHAR_PX + CELL_PADDING_PX for n in longest)


def test_every_table_fits_the_page_column(report) -> None:
    # "All numbers" was cut off: its CSV column names (frame_f1_vs_reference, ...) do not wrap
    tables = page_tables(report["report"].read_text(encoding="utf-8"))
    assert "All numbers" in {section for section, _ in tables}
    for section, rows in tables:
        assert narrowest_width(rows) <= COLUMN_PX, (section, rows[0])


def test_the_pairwise_table_lists_each_pair_once(report) -> None:
    page = report["report"].read_text(encoding="utf-8")
    (rows,) = [rows for section, rows in page_tables(page) if section == "Every pair of annotators"]
    header, body = rows[0], rows[1:]
    assert header[:2] == ["annotator_a", "annotator_b"]
    pairs = [(int(r[0]), int(r[1])) for r in body]
    assert pairs == list(itertools.combinations(range(6), 2))  # no 1-1, 2-1, 2-2, ...
    assert not any(all(cell == "n/a" for cell in row[2:]) for row in body)


def _data_boxes(ax, renderer) -> list:
    """Display boxes of every bar drawn with broken_barh on ``ax``."""
    boxes = []
    for collection in ax.collections:
        for path in collection.get_paths():
            corners = ax.transData.transform(path.vertices)
            boxes.append(Bbox([corners.min(axis=0), corners.max(axis=0)]).padded(-0.5))
    return boxes


def test_ethogram_numbers_touch_no_bar_no_axis_and_no_other_number(comparison) -> None:
    shown = top_episodes(comparison.episodes, 0, 5)
    shown.insert(0, "number", np.arange(1, len(shown) + 1))
    sid = comparison.most_disputed_video()
    figure = ethogram_figure(comparison, sid, marked=shown)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()  # drawn: the layout is final
    renderer = canvas.get_renderer()
    numbers = 0
    for ax in figure.axes:
        texts = [t.get_window_extent(renderer) for t in ax.texts]
        numbers += len(texts)
        bars = _data_boxes(ax, renderer)
        inside = ax.get_window_extent(renderer)
        for i, box in enumerate(texts):
            assert inside.y0 <= box.y0 and box.y1 <= inside.y1  # clear of the time axis
            assert inside.x0 <= box.x0 and box.x1 <= inside.x1
            assert not any(box.overlaps(bar) for bar in bars)
            assert not any(box.overlaps(other) for other in texts[i + 1 :])
    assert numbers >= 10


def test_the_ethogram_caption_and_the_reference_read_cleanly(report) -> None:
    page = report["report"].read_text(encoding="utf-8")
    caption = page.split('id="fig-ethogram"')[1].split("</figcaption>")[0]
    assert "))" not in caption and "averaged over the other annotators." in caption
    # nobody chose the reference: the page says why it is the one, not "as chosen"
    assert "Reference: annotator 0 (the reference annotator of the data)." in page
    assert "as chosen" not in page


def test_every_snapshot_panel_has_a_scale_bar(comparison) -> None:
    shown = top_episodes(comparison.episodes, 0, 2)
    shown.insert(0, "number", np.arange(1, len(shown) + 1))
    mine = shown[shown["annotator_b"] == 2]
    figure = episode_figure(comparison, mine)
    panels = [ax for ax in figure.axes if ax.get_title(loc="left")]
    assert len(panels) == len(mine)
    for ax in panels:
        (bar,) = [a for a in ax.artists if isinstance(a, AnchoredSizeBar)]
        assert re.fullmatch(r"\d+ px", bar.txt_label.get_text())


def test_snapshot_scale_bars_are_in_cm_with_px_per_cm(tiny) -> None:
    labels = {a: {s.id: s.labels for s in tiny.shared[a]} for a in (0, 3)}
    comparison = compare_labels(labels, tiny.shared[0], px_per_cm=12.0)
    shown = top_episodes(comparison.episodes, 0, 1)
    shown.insert(0, "number", np.arange(1, len(shown) + 1))
    figure = episode_figure(comparison, shown)
    bars = [a for ax in figure.axes for a in ax.artists if isinstance(a, AnchoredSizeBar)]
    assert len(bars) == len(shown) > 0
    assert all(re.fullmatch(r"[\d.]+ cm", bar.txt_label.get_text()) for bar in bars)
