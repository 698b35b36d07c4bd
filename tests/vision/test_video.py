from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from museion.vision.errors import VideoError
from museion.vision.video import extract_frames, probe
from tests.media import render_clip


def test_it_samples_frames_at_the_asked_rate(images: Path) -> None:
    clip = render_clip(Image.open(images / "parrot.jpg").convert("RGB"), seconds=4)
    frames = list(extract_frames(clip, fps=2))
    assert [f.time for f in frames] == pytest.approx([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5], abs=0.05)
    assert all(f.image.size == (320, 240) for f in frames)
    assert all(f.image.mode == "RGB" for f in frames)
    assert len(list(extract_frames(clip, fps=0.5))) == 2


def test_it_reads_h264_and_hevc_files(videos: Path) -> None:
    assert len(list(extract_frames(videos / "parrot_walkaround.mp4", fps=2))) == 12
    assert probe(videos / "sunflower_hevc.mp4")["codec"] == "hevc"
    assert len(list(extract_frames(videos / "sunflower_hevc.mp4", fps=2))) == 6


def test_a_portrait_phone_clip_gives_portrait_frames(videos: Path) -> None:
    assert probe(videos / "owl_portrait_rotated.mov")["width"] == 960  # stored landscape
    frame = next(extract_frames(videos / "owl_portrait_rotated.mov", fps=1))
    assert frame.image.size == (540, 960)


def test_it_keeps_frames_no_larger_than_needed(videos: Path) -> None:
    frame = next(extract_frames(videos / "parrot_walkaround.mp4", fps=1, max_side=480))
    assert frame.image.size == (480, 270)


def test_it_stops_at_the_frame_limit(videos: Path) -> None:
    assert len(list(extract_frames(videos / "parrot_walkaround.mp4", fps=30, max_frames=7))) == 7


def test_frames_follow_the_video(videos: Path) -> None:
    frames = list(extract_frames(videos / "parrot_walkaround.mp4", fps=1))
    first, last = (np.asarray(f.image, np.float32) for f in (frames[0], frames[-1]))
    assert np.abs(first - last).mean() > 5  # the camera moved


@pytest.mark.parametrize("name", ["truncated.mp4", "not_a_video.mp4"])
def test_it_refuses_a_broken_file(videos: Path, name: str) -> None:
    with pytest.raises(VideoError, match=r"content is not a video|cut short"):
        list(extract_frames(videos / name))


def test_it_refuses_a_still_image(images: Path) -> None:
    with pytest.raises(VideoError):
        list(extract_frames(images / "parrot.jpg"))


def test_it_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoError, match="no such file"):
        list(extract_frames(tmp_path / "nope.mp4"))


def test_frames_larger_than_the_limit_stop_the_extraction(images: Path, monkeypatch) -> None:
    """Whatever the header said, a decoded frame over the limit (8K) is refused before it is
    converted; a real 8K clip would take the suite a while to encode, so the limit is lowered."""
    clip = render_clip(Image.open(images / "parrot.jpg").convert("RGB"), seconds=2)
    monkeypatch.setattr("museion.vision.video.MAX_PIXELS", 100 * 100)
    with pytest.raises(VideoError, match="the limit is 8K"):
        list(extract_frames(clip, fps=2))
