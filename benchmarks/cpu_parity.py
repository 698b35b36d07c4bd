"""Do Museion's answers depend on the CPU or the runtime? The int8 and float32 MobileNetV2 side by side.

What it measures, on the shared photos:

- reference: each photo's top-1 label and score from the float32 model on this machine against
  `cpu_parity_reference.json` (written on the machine named in it): how far another CPU moves them;
- execution paths: the same input through ONNX Runtime with all graph optimisations and with none
  (fused Conv+Clip against plain ops, other kernels), for both models;
- int8 against float32 on this machine: top-1 agreement, score and embedding cosine;
- onnxruntime-web (its WebAssembly build, run in Node: the kernels a browser runs) against the
  server for the same pixels: embedding cosine and largest probability difference, both models.
  Needs `npm ci --prefix benchmarks/web` once; skipped with a note otherwise;
- speed: classify end to end (bytes to top-5) and embed (batch 16), int8 and float32 in
  alternating rounds, one and two intra-op threads, with the load average beside.

Run from the repository root:

    npm ci --prefix benchmarks/web                 # once, for the onnxruntime-web figures
    .venv/bin/python benchmarks/cpu_parity.py      # add --json for machine-readable figures
    .venv/bin/python benchmarks/cpu_parity.py --write-reference   # on the reference machine only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MUSEION_SHARED", REPO.parent / "shared"))
REFERENCE = Path(__file__).with_name("cpu_parity_reference.json")
WEB = Path(__file__).with_name("web")
PHOTOS = (
    "bird.bmp", "cat.bmp", "cat_720p.jpg", "dragonfly.bmp", "face.jpg", "grace_hopper.bmp",
    "hot_dog.jpg", "kite_and_cold.jpg", "owl.jpg", "parrot.jpg", "pets.jpg", "sunflower.bmp",
)  # fmt: skip
FLOAT, INT8 = "imagenet-mobilenetv2", "imagenet-mobilenetv2-int8"
ROUNDS = 5
REPS = 40

os.environ.setdefault("MUSEION_MODEL_MIRROR", str(SHARED / "models"))
os.environ.setdefault("MUSEION_HOME", tempfile.mkdtemp(prefix="museion-parity-"))
sys.path.insert(0, str(REPO / "src"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

from museion.vision.catalog import BUILTIN  # noqa: E402
from museion.vision.fetch import fetch  # noqa: E402
from museion.vision.images import open_photo  # noqa: E402
from museion.vision.preprocess import prepare  # noqa: E402
from museion.vision.runtime import EMBEDDING_OUTPUT, _with_embedding_output  # noqa: E402


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next(
        (line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), []
    )
    return [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]


def model_bytes(name: str) -> bytes:
    spec = BUILTIN[name]
    graph = _with_embedding_output(spec, onnx.load(str(fetch(spec).path)))
    return graph.SerializeToString()


def session(model: bytes, threads: int = 1, optimise: bool = True) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if not optimise:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def photo_batch() -> np.ndarray:
    spec = BUILTIN[FLOAT].input
    return np.stack([prepare(open_photo(SHARED / "images" / p).image, spec).tensor for p in PHOTOS])


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits.astype(np.float64) - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1).astype(np.float64), b.reshape(len(b), -1).astype(np.float64)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def run(sess: ort.InferenceSession, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    logits, emb = sess.run(["output", EMBEDDING_OUTPUT], {"input": batch})
    return softmax(logits), emb.reshape(len(batch), -1)


def compare(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> dict:
    (pa, ea), (pb, eb) = a, b
    top_a, top_b = pa.argmax(axis=1), pb.argmax(axis=1)
    rows = np.arange(len(pa))
    return {
        "top1_agreement": float((top_a == top_b).mean()),
        "top1_score_diff_max": float(np.abs(pa[rows, top_a] - pb[rows, top_a]).max()),
        "probability_diff_max": float(np.abs(pa - pb).max()),
        "embedding_cosine_min": float(cosine(ea, eb).min()),
        "embedding_cosine_mean": float(cosine(ea, eb).mean()),
    }


def per_photo(probs: np.ndarray) -> dict:
    labels = BUILTIN[FLOAT].labels
    return {
        p: {"label": labels[int(r.argmax())].split(",")[0], "score": round(float(r.max()), 5)}
        for p, r in zip(PHOTOS, probs, strict=True)
    }


def against_reference(probs: np.ndarray) -> dict | None:
    if not REFERENCE.is_file():
        return None
    reference = json.loads(REFERENCE.read_text())
    here = per_photo(probs)
    same = [here[p]["label"] == reference["photos"][p]["label"] for p in PHOTOS]
    diffs = [abs(here[p]["score"] - reference["photos"][p]["score"]) for p in PHOTOS]
    return {
        "machine": reference["machine"],
        "top1_agreement": float(np.mean(same)),
        "score_diff_max": max(diffs),
    }


def web_outputs(model: bytes, batch: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], float] | None:
    if not (WEB / "node_modules" / "onnxruntime-web").is_dir() or not shutil.which("node"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "model.onnx").write_bytes(model)
        batch.astype(np.float32).tofile(folder / "input.f32")
        shape = ",".join(str(n) for n in batch.shape)
        args = [
            "node",
            str(WEB / "run_model.mjs"),
            str(folder / "model.onnx"),
            "input",
            str(folder / "input.f32"),
        ]
        done = subprocess.run(
            [*args, shape, tmp, "output", EMBEDDING_OUTPUT], capture_output=True, text=True, check=True
        )
        logits = np.fromfile(folder / "output.f32", np.float32).reshape(len(batch), -1)
        emb = np.fromfile(folder / f"{EMBEDDING_OUTPUT}.f32", np.float32).reshape(len(batch), -1)
        return (softmax(logits), emb), json.loads(done.stdout.strip().splitlines()[-1])["ms"]


def accuracy_figures(models: dict[str, bytes]) -> dict:
    batch = photo_batch()
    figures: dict = {}
    outputs = {name: run(session(m), batch) for name, m in models.items()}
    figures["photos"] = per_photo(outputs[FLOAT][0])
    figures["int8_photos"] = per_photo(outputs[INT8][0])
    figures["reference"] = against_reference(outputs[FLOAT][0])
    figures["paths"] = {
        name: compare(outputs[name], run(session(m, optimise=False), batch)) for name, m in models.items()
    }
    figures["int8_vs_float"] = compare(outputs[INT8], outputs[FLOAT])
    figures["web"] = {}
    for name, m in models.items():
        web = web_outputs(m, batch)
        figures["web"][name] = None if web is None else {**compare(outputs[name], web[0]), "ms_batch": web[1]}
    return figures


def timed(fn, reps: int = REPS) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - started) / reps * 1000


def speed_figures(models: dict[str, bytes]) -> dict:
    """Milliseconds per image, medians over alternating rounds (int8, float, int8, ...)."""
    photo = (SHARED / "images" / "kite_and_cold.jpg").read_bytes()
    spec = BUILTIN[FLOAT].input
    one = prepare(open_photo(photo, target_size=spec.decode_size).image, spec).tensor[None]
    sixteen = np.repeat(one, 16, axis=0)
    decode = timed(lambda: prepare(open_photo(photo, target_size=spec.decode_size).image, spec))
    results: dict = {"decode_and_prepare_ms": decode, "load_average": os.getloadavg()}
    for threads in (1, 2):
        sessions = {name: session(m, threads) for name, m in models.items()}
        samples: dict[str, dict[str, list[float]]] = {n: {"infer": [], "embed16": []} for n in models}
        for _ in range(ROUNDS):
            for name, sess in sessions.items():
                samples[name]["infer"].append(timed(lambda s=sess: s.run(["output"], {"input": one})))
                samples[name]["embed16"].append(
                    timed(lambda s=sess: s.run([EMBEDDING_OUTPUT], {"input": sixteen}), reps=REPS // 8) / 16
                )
        for name in models:
            infer = statistics.median(samples[name]["infer"])
            results[f"{name}@{threads}"] = {
                "infer_ms": infer,
                "embed_ms_per_image": statistics.median(samples[name]["embed16"]),
                # Classify end to end is decode + prepare + infer on one thread: what a request costs.
                "classify_ms": decode + infer,
            }
    results["load_average_after"] = os.getloadavg()
    return results


def report(figures: dict) -> None:
    print(f"# CPU parity: {figures['machine']}, onnxruntime {ort.__version__}")
    ref = figures["reference"]
    if ref:
        agree, diff = ref["top1_agreement"], ref["score_diff_max"]
        print(f"float32 against the reference values ({ref['machine']}): top-1 agreement {agree:.0%}, "
              f"largest score difference {diff:.1e}")  # fmt: skip
    print("\n| comparison | top-1 agree | top score diff | prob diff max | embedding cos min |")
    print("|---|---:|---:|---:|---:|")
    rows = [(f"{n}: optimised vs unoptimised graph", c) for n, c in figures["paths"].items()]
    rows.append(("int8 vs float32, this CPU", figures["int8_vs_float"]))
    rows += [(f"{n}: onnxruntime-web vs server", c) for n, c in figures["web"].items() if c]
    for label, c in rows:
        print(f"| {label} | {c['top1_agreement']:.0%} | {c['top1_score_diff_max']:.2e} | "
              f"{c['probability_diff_max']:.2e} | {c['embedding_cosine_min']:.6f} |")  # fmt: skip
    if not all(figures["web"].values()):
        print("\n(onnxruntime-web skipped: run `npm ci --prefix benchmarks/web` first)")
    print("\n| photo | float32 | int8 (this CPU) |\n|---|---|---|")
    for p in PHOTOS:
        f, q = figures["photos"][p], figures["int8_photos"][p]
        print(f"| {p} | {f['label']} {f['score']:.3f} | {q['label']} {q['score']:.3f} |")
    speed = figures["speed"]
    before, after = speed["load_average"][0], speed["load_average_after"][0]
    print(f"\nspeed (ms per image; load average {before:.2f} before, {after:.2f} after); "
          f"decode + prepare {speed['decode_and_prepare_ms']:.1f} ms")  # fmt: skip
    print(
        "| model | threads | inference | embed (batch 16, per image) | classify end to end | images/s limit |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for key, s in speed.items():
        if "@" in key:
            name, threads = key.split("@")
            print(f"| {name} | {threads} | {s['infer_ms']:.2f} | {s['embed_ms_per_image']:.2f} | "
                  f"{s['classify_ms']:.2f} | {1000 / s['classify_ms']:.0f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--write-reference", action="store_true", help="store this machine's float32 answers")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed rounds")
    args = parser.parse_args()
    models = {FLOAT: model_bytes(FLOAT), INT8: model_bytes(INT8)}
    figures = {"machine": f"{platform.processor() or platform.machine()} {' '.join(cpu_flags())}"}
    figures.update(accuracy_figures(models))
    if args.write_reference:
        REFERENCE.write_text(
            json.dumps({"machine": figures["machine"], "photos": figures["photos"]}, indent=2) + "\n"
        )
    figures["speed"] = {} if args.no_speed else speed_figures(models)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        report(figures) if not args.no_speed else print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
