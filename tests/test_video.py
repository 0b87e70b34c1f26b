"""Video files: matching them to sequences, checking them against poses, rendering poses,
and cutting episode clips whose frames are the episode's (ethostyle.video, report.clips)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from ethostyle.compare import compare_labels
from ethostyle.data import Dataset, Sequence
from ethostyle.errors import VideoError
from ethostyle.io import save_train_npy
from ethostyle.io.frame_rate import video_frame_count
from ethostyle.report.clips import write_episode_clips
from ethostyle.video import (
    check_videos,
    find_videos,
    iter_frames,
    open_videos,
    render_video,
    video_info,
    write_mp4,
)
from support import assert_clean_error, assert_success, invoke

OTHER, INVESTIGATION = 3, 1


def _decoded(path: Path) -> np.ndarray:
    with av.open(str(path)) as box:
        return np.stack([f.to_ndarray(format="rgb24") for f in box.decode(video=0)])


def _moving_pair(n_frames: int) -> np.ndarray:
    """``(n, 2, 2, 7)`` poses: the resident walks right 10 px a frame, the intruder sits."""
    body = np.array(  # nose, ears, neck, hips, tail base; x then y, about (0, 0)
        [[40, 30, 30, 20, 0, 0, -20], [0, -8, 8, 0, -10, 10, 0]], np.float32
    )
    kp = np.empty((n_frames, 2, 2, 7), np.float32)
    kp[:, 0] = body + np.array([[200.0], [285.0]], np.float32)
    kp[:, 0, 0] += 10.0 * np.arange(n_frames, dtype=np.float32)[:, None]
    kp[:, 1] = body + np.array([[800.0], [120.0]], np.float32)
    return kp


# ----------------------------------------------------------------------- matching
def test_a_folder_matches_videos_by_name_in_any_case_and_video_extension(tmp_path):
    for name in ("videoA.mp4", "VIDEOB.AVI", "videoc.Mov", "videoA.txt", "notes.csv"):
        (tmp_path / name).write_bytes(b"")
    found = find_videos(tmp_path, ["videoA", "videoB", "videoC"])
    assert {k: v.name for k, v in found.items()} == {
        "videoA": "videoA.mp4",
        "videoB": "VIDEOB.AVI",
        "videoC": "videoc.Mov",
    }
    (tmp_path / "videoa.mkv").write_bytes(b"")  # differs in case only: the exact name wins
    assert find_videos(tmp_path, ["videoA"])["videoA"].name == "videoA.mp4"
    (tmp_path / "VideoB.mp4").write_bytes(b"")  # two inexact matches: refused, both named
    with pytest.raises(VideoError, match=r"'videoB' matches 2 files \(VIDEOB.AVI, VideoB.mp4\)"):
        find_videos(tmp_path, ["videoB"])
    with pytest.raises(VideoError, match=rf"--videos {tmp_path}: no video for 1 .*'videoD'"):
        find_videos(tmp_path, ["videoA", "videoD"])


def test_a_csv_maps_sequences_to_videos_relative_to_its_own_folder(tmp_path):
    (tmp_path / "footage").mkdir()
    (tmp_path / "footage" / "cam1.mp4").write_bytes(b"")
    (tmp_path / "maps").mkdir()
    table = tmp_path / "maps" / "videos.csv"
    table.write_text("sequence_id,video\nvideoA,../footage/cam1.mp4\nunused,x.mp4\n")
    assert find_videos(table, ["videoA"]) == {"videoA": tmp_path / "maps/../footage/cam1.mp4"}
    with pytest.raises(VideoError, match=r"videos.csv: no row for 1 sequence\(s\), e.g. 'videoB'"):
        find_videos(table, ["videoA", "videoB"])
    table.write_text("sequence_id,video\nvideoA,../footage/cam2.mp4\n")
    with pytest.raises(VideoError, match=r"videos.csv, line 2: .*cam2.mp4: no such video file"):
        find_videos(table, ["videoA"])
    table.write_text("sequence,file\nvideoA,../footage/cam1.mp4\n")
    with pytest.raises(VideoError, match=r"no column 'sequence_id' \(columns: sequence, file\)"):
        find_videos(table, ["videoA"])
    with pytest.raises(VideoError, match=r"nothing.csv: no such folder or file"):
        find_videos(tmp_path / "nothing.csv", ["videoA"])


# ------------------------------------------------------------------------- checks
@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """A 45-frame sequence rendered at 30 Hz and at 25 Hz (as if imported at 25 Hz)."""
    folder = tmp_path_factory.mktemp("rendered")
    seq = Sequence("s", _moving_pair(45), 0)
    return {
        "30": render_video(seq, folder / "s30.mp4"),
        "25": render_video(seq, folder / "s25.mp4", fps=25),
    }


def test_a_video_is_checked_against_its_poses_within_two_frames(rendered):
    info = check_videos({"s": rendered["30"]}, {"s": 45})["s"]
    assert (info.fps, info.n_frames, info.width, info.height) == (30.0, 45, 320, 178)
    assert check_videos({"s": rendered["30"]}, {"s": 47})  # a frame or two either way passes
    with pytest.raises(VideoError, match=r"s30.mp4: 45 frames at 30 Hz \(1.50 s\), but the poses"):
        check_videos({"s": rendered["30"]}, {"s": 48})


def test_a_25_hz_video_fits_poses_imported_at_25_hz_and_no_other_rate(rendered):
    n_video = video_frame_count(45, 25.0)
    info = check_videos({"s": rendered["25"]}, {"s": 45}, {"s": 25.0})["s"]
    assert (info.fps, info.n_frames) == (25.0, n_video)
    assert check_videos({"s": rendered["25"]}, {"s": 45})  # rate not recorded: lengths agree
    with pytest.raises(VideoError, match=r"s25.mp4: filmed at 25 Hz, .* from a 30 Hz video"):
        check_videos({"s": rendered["25"]}, {"s": 45}, {"s": 30.0})
    # poses with one row per 25 Hz frame, read as 30 Hz: the fix is named
    with pytest.raises(VideoError, match=r"import-pose \.\.\. --fps 25"):
        check_videos({"s": rendered["25"]}, {"s": n_video})


def test_missing_and_unreadable_videos_are_refused_naming_the_file(tmp_path):
    with pytest.raises(VideoError, match=r"gone.mp4: no such video file"):
        video_info(tmp_path / "gone.mp4")
    broken = tmp_path / "s.mp4"
    broken.write_bytes(b"not a video at all" * 10)
    with pytest.raises(VideoError, match=r"s.mp4: not a video ethostyle can read"):
        open_videos(tmp_path, {"s": 45})


# ------------------------------------------------------------------------ reading
def test_frames_are_read_by_number_after_a_seek_and_past_the_end_repeat_the_last(tmp_path):
    """Frame k is coloured by k (x264 puts key frames 250 apart, so reading from 600
    seeks); chunks of 37 cut across the ranges; two frames asked past the end repeat it."""
    k = np.arange(1000)
    colour = np.stack([16 * (k % 16), 16 * (k // 16 % 16), 16 * (k // 256)], axis=1) + 8
    frames = np.broadcast_to(colour[:, None, None, :], (1000, 32, 32, 3)).astype(np.uint8)
    info = video_info(write_mp4([frames], tmp_path / "long.mp4", 30))
    for first, stop in ((600, 700), (251, 260), (0, 5), (995, 1002)):
        got = np.concatenate(list(iter_frames(info, first, stop, width=32, height=32, chunk=37)))
        level = np.rint((got.mean(axis=(1, 2)) - 8) / 16)
        index = level[:, 0] + 16 * level[:, 1] + 256 * level[:, 2]
        np.testing.assert_array_equal(index, np.minimum(np.arange(first, stop), 999))


def test_a_matroska_video_without_a_frame_count_is_counted(tmp_path):
    with av.open(str(tmp_path / "s.mkv"), "w") as box:  # Matroska stores no frame count
        stream = box.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(77):
            image = np.full((32, 32, 3), i, np.uint8)
            box.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        box.mux(stream.encode())
    with av.open(str(tmp_path / "s.mkv")) as box:
        assert box.streams.video[0].frames == 0
    info = open_videos(tmp_path, {"s": 92}, {"s": 25.0})["s"]
    assert (info.fps, info.n_frames) == (25.0, 77) == (25.0, video_frame_count(92, 25.0))


# ---------------------------------------------------------------------- rendering
def test_rendered_frames_show_the_resident_where_its_poses_put_it(rendered):
    """Each video frame shows the pose frame nearest in time: at 25 Hz, frame k shows pose
    frame round(1.2 k); the resident (black) lies where its keypoints say, scaled."""
    for fps, path in ((30, rendered["30"]), (25, rendered["25"])):
        frames = _decoded(path)
        dark = frames.max(axis=-1) < 80
        dark[:, :4], dark[:, -4:], dark[:, :, :4], dark[:, :, -4:] = (False,) * 4  # walls
        seen = np.array([np.nonzero(d)[1].mean() for d in dark])  # centre x of the black
        pose = np.rint(np.arange(len(frames)) * 30 / fps).astype(int)
        expected = (200 + 10 * pose + 10) * 320 / 1024  # the body's middle, scaled
        np.testing.assert_allclose(seen, expected, atol=3)


# -------------------------------------------------------------------------- clips
def test_a_clip_shows_the_episode_frames_plus_a_second_each_side(tmp_path):
    """A 25 Hz video whose frame k is coloured by k; an episode of 30 Hz frames 45-74:
    the clip must hold exactly the video frames from 0.5 s to 3.5 s, in order."""
    n_poses = 150
    n_video = video_frame_count(n_poses, 25.0)
    k = np.arange(n_video)
    colour = np.stack([16 * (k % 16) + 8, 16 * (k // 16) + 8, np.full_like(k, 128)], axis=1)
    frames = np.broadcast_to(colour[:, None, None, :], (n_video, 64, 96, 3)).astype(np.uint8)
    write_mp4([frames], tmp_path / "v.mp4", 25)
    reference = np.full(n_poses, OTHER, np.int8)
    reference[45:75] = INVESTIGATION
    comparison = compare_labels({0: {"v": reference}, 1: {"v": np.full(n_poses, OTHER)}})
    videos = open_videos(tmp_path, {"v": n_poses}, {"v": 25.0})
    (clip,) = write_episode_clips(comparison, videos, tmp_path / "clips")
    assert (clip.kind, clip.label_a, clip.label_b) == ("missed", "investigation", "other")
    shown = _decoded(clip.path)
    assert shown.shape[1:] == (88 + 320, 480, 3)  # the timeline, the video scaled to 480 px
    mean = shown[:, 88 + 20 : 88 + 300, 20:460].mean(axis=(1, 2))
    index = np.rint((mean[:, 0] - 8) / 16) + 16 * np.rint((mean[:, 1] - 8) / 16)
    times = k / 25.0
    expected = k[(times >= (45 - 30) / 30) & (times <= (75 + 30 - 1) / 30)]
    np.testing.assert_array_equal(index, expected)
    with av.open(str(clip.path)) as box:
        assert float(box.streams.video[0].average_rate) == 25.0


def test_compare_labels_videos_writes_clips_the_report_plays_and_checks_first(tmp_path):
    """render-videos draws the poses of a train-layout file; compare-labels --videos cuts
    the episode's clip and the page plays it; a video 6 frames short is refused first."""
    poses = _moving_pair(90)
    a = np.full(90, OTHER, np.int8)
    a[30:60] = INVESTIGATION
    files = []
    for annotator, labels in ((0, a), (1, np.full(90, OTHER, np.int8))):
        data = Dataset([Sequence("trial1", poses, annotator, labels)])
        files.append(save_train_npy(data, tmp_path / f"annotator{annotator}.npy"))
    rendered = invoke("render-videos", files[0], "--out", tmp_path / "footage")
    assert "wrote 1 video(s)" in assert_success(rendered)
    out = tmp_path / "report"
    printed = assert_success(
        invoke("compare-labels", *files, "--out", out, "--videos", tmp_path / "footage")
    )
    assert "wrote 1 episode clips" in printed
    (clip,) = (out / "clips").iterdir()
    assert f'<video src="clips/{clip.name}"' in (out / "report.html").read_text()
    # a video two frames short of its poses' 3 s passes; six short is refused before any work
    render_video(Sequence("trial1", poses[:84], 0), tmp_path / "footage" / "trial1.mp4")
    result = invoke(
        "compare-labels", *files, "--out", tmp_path / "r2", "--videos", tmp_path / "footage"
    )
    assert_clean_error(result, r"trial1.mp4: 84 frames at 30 Hz .* sequence 'trial1'")
    assert not (tmp_path / "r2").exists()
