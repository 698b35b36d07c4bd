"""Frames from phone videos, at a chosen rate, upright as the phone showed them."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av
from PIL import Image

from museion.vision.errors import VideoError

VideoSource = str | os.PathLike[str] | bytes | BinaryIO
MAX_FRAMES = 600  # 5 minutes at 2 fps: more is not a clip of one object
MAX_SIDE = 960  # frames are stored for training; 224-px models need no more
MAX_PIXELS = 7680 * 4320  # 8K: a frame claiming more is refused before it is converted
# The frame rates a person may choose (albums, `museion train --fps`): below, a clip gives
# hardly a frame; above, neighbouring frames are the same picture.
FPS_MIN, FPS_MAX = 0.1, 30.0


@dataclass(frozen=True)
class Frame:
    image: Image.Image
    time: float  # seconds from the start


def extract_frames(
    source: VideoSource, fps: float = 2.0, *, max_frames: int = MAX_FRAMES, max_side: int = MAX_SIDE
) -> Iterator[Frame]:
    """Yield about `fps` frames per second of video, rotation metadata applied.

    Raises VideoError for anything that is not a readable video; a clip damaged
    part-way yields the frames before the damage and then raises.
    """
    if fps <= 0:
        raise ValueError("fps must be positive")
    container = _open(source)
    try:
        if not container.streams.video:
            raise VideoError("the file holds no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        yield from _sample(container, stream, fps, max_frames, max_side)
    except av.error.FFmpegError as exc:
        raise VideoError(f"the video is damaged part-way: {in_plain_words(exc)}") from None
    finally:
        container.close()


NOT_A_VIDEO = "this file's content is not a video, or the video is damaged"


def in_plain_words(exc: av.error.FFmpegError) -> str:
    """What FFmpeg's error means for the person who sent the file, without FFmpeg's wording.

    The one place decoder errors become sentences: uploads, frame jobs and the CLI all say these.
    """
    if isinstance(exc, av.error.EOFError):
        return "the video ends too early: the file is cut short (a copy or upload that did not finish)"
    if isinstance(
        exc, av.error.DecoderNotFoundError | av.error.PatchWelcomeError | av.error.OptionNotFoundError
    ):
        return "the video is in a format Museion cannot decode; send H.264, HEVC or VP9 (what phones record)"
    if isinstance(exc, av.error.MemoryError):
        return "the video is too large to decode on this server"
    return NOT_A_VIDEO


def _open(source: VideoSource) -> av.container.InputContainer:
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    if isinstance(source, str | os.PathLike) and not Path(source).is_file():
        raise VideoError(f"cannot read {source}: no such file")
    try:
        container = av.open(source, mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise VideoError(in_plain_words(exc)) from None
    except (OSError, ValueError):
        raise VideoError(NOT_A_VIDEO) from None
    # FFmpeg also reads a JPEG or PNG as a one-frame "video"; that is a photo.
    if container.format.name == "image2" or container.format.name.endswith("_pipe"):
        container.close()
        raise VideoError("the file is a still image, not a video")
    return container


def _sample(
    container: av.container.InputContainer, stream: av.VideoStream, fps: float, max_frames: int, max_side: int
) -> Iterator[Frame]:
    step, next_time, count = 1.0 / fps, 0.0, 0
    for frame in container.decode(stream):
        if frame.width * frame.height > MAX_PIXELS:  # the header's size may have said otherwise
            raise VideoError(
                f"the video's frames are {frame.width}x{frame.height}; the limit is 8K (7680x4320)"
            )
        time = float(frame.time) if frame.time is not None else next_time
        if time + 1e-6 < next_time:
            continue
        yield Frame(_upright(frame, max_side), round(time, 3))
        count += 1
        if count >= max_frames:
            return
        next_time = max(next_time + step, time + step / 2)


def _upright(frame: av.VideoFrame, max_side: int) -> Image.Image:
    image = frame.to_image()
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    rotation = getattr(frame, "rotation", 0) or 0
    # PyAV reports the display matrix as degrees counter-clockwise, as PIL rotates.
    return image.rotate(rotation, expand=True) if rotation % 360 else image


def probe(source: VideoSource) -> dict:
    """Duration, size and codec, read from the header without decoding."""
    container = _open(source)
    try:
        if not container.streams.video:
            raise VideoError("the file holds no video stream")
        stream = container.streams.video[0]
        duration = float(container.duration / av.time_base) if container.duration else None
        return {
            "codec": stream.codec_context.name,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "duration": duration,
        }
    finally:
        container.close()
