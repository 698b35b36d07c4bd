"""Benchmark: JPEG decoding on two threads while a third runs Python code, as in `museion serve`.

A web worker's threads share one GIL: while one thread parses a request in
Python, the others decode and run models in C with the GIL released. Pillow
feeds its decoder 64 KiB at a time and takes the GIL back between pieces, so
each piece of a 1.4 MB JPEG waits for the Python thread to let go of it.
`museion.vision.images` feeds the whole file at once. This script decodes
`kite_and_cold.jpg` (1352x900, draft mode as for the classifier) on two
threads, with and without a busy Python thread beside them, both ways.

    .venv/bin/python benchmarks/decode_gil.py [--images 200] [--photos ../shared/images]
"""

from __future__ import annotations

import argparse
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DRAFT = (676, 450)


def decode(data: bytes, one_piece: bool) -> None:
    image = Image.open(io.BytesIO(data))
    image.draft("RGB", DRAFT)
    if one_piece:
        image.decodermaxblock = len(data)
    image.load()


def rate(data: bytes, images: int, one_piece: bool, busy: bool) -> float:
    stop = threading.Event()

    def python_work() -> None:
        while not stop.is_set():
            sum(range(2000))

    helper = threading.Thread(target=python_work)
    if busy:
        helper.start()
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda _: decode(data, one_piece), range(10)))  # warm-up
            started = time.perf_counter()
            list(pool.map(lambda _: decode(data, one_piece), range(images)))
            return images / (time.perf_counter() - started)
    finally:
        stop.set()
        if busy:
            helper.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--photos", type=Path, default=REPO.parent / "shared" / "images")
    args = parser.parse_args()
    data = (args.photos / "kite_and_cold.jpg").read_bytes()
    for busy in (False, True):
        for one_piece in (False, True):
            how = "whole file at once" if one_piece else "64 KiB pieces (Pillow's default)"
            beside = "beside a busy Python thread" if busy else "alone"
            print(f"{rate(data, args.images, one_piece, busy):6.1f} decodes/s  {how}, {beside}")


if __name__ == "__main__":
    main()
