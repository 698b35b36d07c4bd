"""Benchmark of the Museion vision core, per built-in model, on this machine's CPU.

What it measures, in milliseconds per image (median of repeated runs, after a warm-up):

- decode: `open_photo(data, target_size=spec.input.decode_size)` (JPEG draft mode),
  and the same without `target_size` (full-size decode) for comparison, on the
  1352x900 photo `kite_and_cold.jpg` and on a 12 MP (4000x3000) JPEG made from it;
- preprocess: `prepare(image, spec.input)` on the decoded 1352x900 photo;
- inference: the ONNX session alone at batch 1 and batch 8 (per image). YOLOX-Nano
  has a fixed batch of 1, so its "batch 8" is 8 runs of batch 1, as Museion does;

and, in images per second, end to end from encoded bytes (`classify(bytes)` or
`detect(bytes)`) over 200 images: on one Python thread, then with `--workers`
threads of a ThreadPoolExecutor sharing the model's session.

Run it from the repository root:

    .venv/bin/python benchmarks/inference.py                        # MUSEION_THREADS = cores
    .venv/bin/python benchmarks/inference.py --threads 2 --workers 1
    .venv/bin/python benchmarks/inference.py --threads 1 --workers 2
    .venv/bin/python benchmarks/inference.py --json                 # figures as JSON

`--threads` sets MUSEION_THREADS (ONNX Runtime intra-op threads per session)
before Museion is imported. Model files come from MUSEION_MODEL_MIRROR, by
default `<repo>/../shared/models`; MUSEION_HOME is a temporary folder, so
nothing is written into the checkout and nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from museion.vision import ModelSpec
    from museion.vision.runtime import Model

REPO = Path(__file__).resolve().parents[1]
PHOTO = "kite_and_cold.jpg"
BIG_SIZE = (4000, 3000)
BIG_QUALITY = 90
BATCH = 8
MODELS = ("imagenet-mobilenetv2", "coco-yolox-nano")
# Seconds of timed repetitions per figure, and bounds on their number.
BUDGET_S = 0.6
MIN_REPS = 7
MAX_REPS = 300


@dataclass(frozen=True)
class Timing:
    """Milliseconds per image: the median over `reps` timed runs."""

    ms: float
    reps: int


@dataclass(frozen=True)
class Throughput:
    images: int
    workers: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.images / self.seconds


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--threads", type=int, help="MUSEION_THREADS: ONNX Runtime threads per session")
    parser.add_argument("--workers", type=int, default=2, help="threads calling classify/detect at once")
    parser.add_argument("--images", type=int, default=200, help="images per end-to-end run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--photos", type=Path, default=REPO.parent / "shared" / "images", help=f"folder holding {PHOTO}"
    )
    args = parser.parse_args(argv)
    if (args.threads is not None and args.threads < 1) or args.workers < 1 or args.images < 1:
        parser.error("--threads, --workers and --images must be at least 1")
    return args


def configure_env(args: argparse.Namespace, home: Path) -> None:
    """Set Museion's environment; must run before `museion` is imported."""
    os.environ.setdefault("MUSEION_MODEL_MIRROR", str(REPO.parent / "shared" / "models"))
    os.environ["MUSEION_HOME"] = str(home)
    if args.threads is not None:
        os.environ["MUSEION_THREADS"] = str(args.threads)
    logging.basicConfig(format="note: %(message)s", level=logging.WARNING, stream=sys.stderr)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    import numpy
    import onnxruntime
    import PIL

    from museion.config import settings

    config = settings()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "onnxruntime": onnxruntime.__version__,
        "pillow": PIL.__version__,
        "numpy": numpy.__version__,
        "museion_threads": config.threads,
        "model_mirror": os.pathsep.join(str(p) for p in config.model_mirrors),
    }


def make_inputs(images: Path, folder: Path) -> dict[str, bytes]:
    """The photo's bytes, and those of a 12 MP JPEG upscaled from it, by name."""
    from PIL import Image

    small = (images / PHOTO).read_bytes()
    big_path = folder / "kite_12mp.jpg"
    with Image.open(images / PHOTO) as photo:
        photo.convert("RGB").resize(BIG_SIZE, Image.Resampling.BICUBIC).save(big_path, quality=BIG_QUALITY)
    return {"1352x900": small, "4000x3000": big_path.read_bytes()}


def median_ms(fn: Callable[[], object], per_call: int = 1) -> Timing:
    """Median milliseconds per image of `fn` (which handles `per_call` images)."""
    fn()  # warm-up: first-use costs (sessions, caches, allocator) are not measured
    start = time.perf_counter()
    fn()
    first = time.perf_counter() - start
    reps = int(min(MAX_REPS, max(MIN_REPS, BUDGET_S / max(first, 1e-6))))
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Timing(statistics.median(samples) * 1e3 / per_call, reps)


def bench_decode(spec: ModelSpec, inputs: dict[str, bytes]) -> dict[str, Any]:
    from museion.vision import open_photo

    target = spec.input.decode_size
    return {
        "decoded_size": {
            name: list(open_photo(data, target_size=target).image.size) for name, data in inputs.items()
        },
        "decode_ms": {
            name: median_ms(lambda d=data: open_photo(d, target_size=target)) for name, data in inputs.items()
        },
        "decode_full_ms": {name: median_ms(lambda d=data: open_photo(d)) for name, data in inputs.items()},
    }


def bench_inference(model: Model, tensor: np.ndarray) -> dict[str, Timing]:
    import numpy as np

    spec = model.spec
    one = tensor[None]
    batch = np.stack([tensor] * BATCH)

    def run_batch() -> None:
        if spec.input.batch:
            model.run([spec.output], batch)
        else:  # fixed batch of 1: as classify/embed do, one run per image
            for i in range(BATCH):
                model.run([spec.output], batch[i : i + 1])

    return {
        "infer_b1_ms": median_ms(lambda: model.run([spec.output], one)),
        f"infer_b{BATCH}_ms": median_ms(run_batch, per_call=BATCH),
    }


def end_to_end(fn: Callable[[bytes], object], data: bytes, images: int, workers: int) -> Throughput:
    """Images per second of `fn(data)` over `images` calls, on `workers` threads."""
    if workers == 1:
        fn(data)
        start = time.perf_counter()
        for _ in range(images):
            fn(data)
        return Throughput(images, 1, time.perf_counter() - start)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(fn, [data] * workers))  # warm-up: start the threads
        start = time.perf_counter()
        list(pool.map(fn, [data] * images))
        return Throughput(images, workers, time.perf_counter() - start)


def bench_model(name: str, inputs: dict[str, bytes], args: argparse.Namespace) -> dict[str, Any]:
    from museion.vision import Catalog, classify, detect, open_photo
    from museion.vision.preprocess import prepare
    from museion.vision.runtime import load_model

    spec = Catalog().get(name)
    model = load_model(spec)
    main = inputs["1352x900"]
    image = open_photo(main, target_size=spec.input.decode_size).image
    call = classify if spec.task == "classify" else detect
    e2e = {"single": end_to_end(lambda d: call(d, model=name), main, args.images, 1)}
    if args.workers > 1:
        e2e["parallel"] = end_to_end(lambda d: call(d, model=name), main, args.images, args.workers)
    return {
        "task": spec.task,
        "input_size": list(spec.input.size),
        "native_batch": spec.input.batch,
        "model_file": f"{model.file.path} ({model.file.source})",
        **bench_decode(spec, inputs),
        "preprocess_ms": median_ms(lambda: prepare(image, spec.input)),
        **bench_inference(model, prepare(image, spec.input).tensor),
        "end_to_end": e2e,
    }


def to_jsonable(value: Any) -> Any:
    if isinstance(value, Timing):
        return {"ms": round(value.ms, 3), "reps": value.reps}
    if isinstance(value, Throughput):
        return {
            **asdict(value),
            "seconds": round(value.seconds, 3),
            "images_per_s": round(value.per_second, 1),
            "ms_per_image": round(value.seconds * 1e3 / value.images, 3),
        }
    if isinstance(value, dict):
        return {key: to_jsonable(item) for key, item in value.items()}
    return value


def print_machine(machine: dict[str, Any], inputs: dict[str, bytes], images: int) -> None:
    print(f"CPU: {machine['cpu']} ({machine['cores']} cores, {machine['usable_cores']} usable)")
    print(
        f"Python {machine['python']}, onnxruntime {machine['onnxruntime']}, "
        f"Pillow {machine['pillow']}, numpy {machine['numpy']}"
    )
    print(f"MUSEION_THREADS={machine['museion_threads']} (ONNX Runtime intra-op threads per session)")
    sizes = ", ".join(f"{name} {len(data) / 1e6:.2f} MB" for name, data in inputs.items())
    print(f"inputs: {PHOTO} and a q{BIG_QUALITY} upscaled copy ({sizes})")
    print(f"milliseconds per image, median after a warm-up [repetitions]; end to end over {images} images")


def row(label: str, timing: Timing, note: str = "") -> str:
    return f"  {label:<40} {timing.ms:8.2f} ms  [{timing.reps:>3}]{note}"


def print_model(name: str, result: dict[str, Any]) -> None:
    width, height = result["input_size"]
    print(f"\n{name} ({result['task']}, input {width}x{height})")
    print(f"  model file: {result['model_file']}")
    for size in ("1352x900", "4000x3000"):
        decoded = "x".join(map(str, result["decoded_size"][size]))
        print(row(f"decode {size}, target_size -> {decoded}", result["decode_ms"][size]))
        print(row(f"decode {size}, full size", result["decode_full_ms"][size]))
    print(row("preprocess (prepare)", result["preprocess_ms"]))
    print(row("inference, batch 1", result["infer_b1_ms"]))
    note = "" if result["native_batch"] else f"  (fixed batch 1: {BATCH} runs of batch 1)"
    print(row(f"inference, batch {BATCH}, per image", result[f"infer_b{BATCH}_ms"], note))
    call = "classify" if result["task"] == "classify" else "detect"
    for key, run in result["end_to_end"].items():
        how = "1 thread" if key == "single" else f"{run.workers} threads, ThreadPoolExecutor"
        print(
            f"  end to end {call}(bytes), {how}: {run.per_second:.1f} images/s"
            f" ({run.seconds * 1e3 / run.images:.2f} ms/image)"
        )


def print_json(
    machine: dict[str, Any],
    inputs: dict[str, bytes],
    args: argparse.Namespace,
    results: dict[str, dict[str, Any]],
    elapsed: float,
) -> None:
    report = {
        "machine": machine,
        "input_bytes": {name: len(data) for name, data in inputs.items()},
        "workers": args.workers,
        "images": args.images,
        "models": results,
        "seconds": round(elapsed, 1),
    }
    print(json.dumps(to_jsonable(report), indent=2))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="museion-bench-") as tmp:
        configure_env(args, Path(tmp) / "home")
        machine = machine_info()
        inputs = make_inputs(args.photos, Path(tmp))
        if not args.json:
            print_machine(machine, inputs, args.images)
            sys.stdout.flush()
        results: dict[str, dict[str, Any]] = {}
        for name in MODELS:
            results[name] = bench_model(name, inputs, args)
            if not args.json:
                print_model(name, results[name])
                sys.stdout.flush()
    elapsed = time.perf_counter() - started
    if args.json:
        print_json(machine, inputs, args, results, elapsed)
    else:
        print(f"\n(total {elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
