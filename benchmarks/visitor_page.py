"""The visitors' page recognising on the phone (issue 15), in headless Debian chromium on loopback.

It starts `museion serve` (its embedded worker trains) with a temporary MUSEION_HOME, builds an
album through the API from a small hard collection of `benchmarks/hardset.py` (generated here,
seeded, unless `--collection` names one), trains and publishes it, then in chromium (Playwright,
/usr/bin/chromium, never a downloaded browser):

1. fresh load: a new browser context (no cache, no service worker) opens `/v/<slug>/`; the time
   from navigation to the page's recognizer being ready (runtime and model.onnx loaded), and to its
   first answer on the device (one visitor's photo, the page's own photo path, offline so that the
   phone answers); the bytes transferred for the runtime (ort.*), the model and everything, as the
   network saw them (compressed where the server compressed) and as files;
2. per frame, for each thread count in `--threads` (a fresh context each, as onnxruntime-web fixes
   its threads when it starts): the page's recognizer on a 1280x720 camera-sized frame, median and
   p90 over `--frames` runs after a warm-up: the resize to the model's input plus the model;
3. agreement: every visitor's photo (known works', left-out artists' and unrelated) through the
   page's recognizer, against the server's model stage for the same file (`Bundle.predict`'s
   global answer: the bundle the server hands out, model.onnx in onnxruntime with the server's
   preprocessing): the same label, the same unknown verdict, and the best work's similarity
   difference (max and median). The server's visitor answer (`/api/v1/v/<slug>/predict`, with
   its keypoint check, which the page does not run) is shown beside for information;
4. offline: the network switched off (`context.set_offline(True)`), the page reloaded from the
   service worker, photos recognised on the device, and no request failing.

    .venv/bin/python benchmarks/visitor_page.py                   # ~3 min on a loaded 2-core machine
    .venv/bin/python benchmarks/visitor_page.py --collection var/hardset/w6-s0 --json out.json

The figures are printed as a table with the load average; the issue's targets beside them.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.client
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hardset
import load
import serve as bench

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# The page's photo path, without a camera (the fake camera's frames are not a work).
REFUSE_CAMERA = """navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException("Permission denied", "NotAllowedError"));"""
LOAD_TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_S = 600
TARGETS = {"first_answer_s": 3.0, "runtime_mb": 12.0, "frame_ms": 60.0, "agreement": 0.99, "similarity": 0.02}

# In the page: a recognizer made as the page makes its own (recognizer.js, the page's description
# and runtime folder), kept on window for the calls below.
MAKE = """async (threads) => {
  const root = document.getElementById("viewer");
  const description = await (await fetch(root.dataset.recognizer)).json();
  window.bench = await MuseionRecognizer.create({
    runtime: root.dataset.runtime, description, model: description.model_url, threads });
  return { threads: window.bench.threads, isolated: self.crossOriginIsolated };
}"""
RECOGNISE = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: "from-image" });
  const found = await window.bench.recognize(bitmap);
  bitmap.close();
  const best = found.outputs[0];
  const label = best ? best.name : null;
  return { label, unknown: found.unknown, similarity: found.similarity, ms: found.ms };
}"""
FRAMES = """async ([count, width, height]) => {
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  const ctx = canvas.getContext("2d");
  const times = [];
  for (let i = 0; i < count + 3; i++) {
    ctx.fillStyle = `hsl(${i * 37 % 360} 60% 50%)`;  // a different frame each time
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#222"; ctx.fillRect(width / 4 + i, height / 4, width / 2, height / 2);
    const found = await window.bench.recognize(canvas);
    if (i >= 3) times.push([found.ms, found.pixelsMs]);  // after a warm-up
  }
  return times;
}"""
# The page's model on the server's own pixels (Bundle.pixels): the runtimes' difference alone.
ON_PIXELS = """async (b64) => {
  const rgb = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const [w, h] = window.bench.description.preprocess.size;
  const session = window.bench.session;
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("uint8", rgb, [1, h, w, 3]) });
  return Math.max(...out.similarity.data);
}"""
# The page's own recognizer made with `benchThreads` threads (onnxruntime-web keeps the first count).
FORCE_THREADS = """window.benchThreads = %d;
let forced;
Object.defineProperty(window, "MuseionRecognizer", { configurable: true, get: () => forced,
  set(real) { forced = { ...real, create: (o) => real.create({ ...o, threads: window.benchThreads }) }; } });
"""
# When the page's own recognizer became ready and each answer arrived, from navigation start.
WATCH = """
window.benchMarks = {};
new MutationObserver(() => {
  const root = document.getElementById("viewer");
  const marks = window.benchMarks;
  if (root && root.dataset.mode === "device" && !marks.ready) marks.ready = performance.now();
  const card = document.getElementById("card");
  if (card && card.dataset.answers && !window.benchMarks.answer) window.benchMarks.answer = performance.now();
}).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-mode", "data-answers"] });
document.addEventListener("change", () => {
  window.benchMarks.photo = window.benchMarks.photo || performance.now();
}, true);
"""


def get(server: load.Server, path: str, headers: dict[str, str] | None = None) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=load.REQUEST_TIMEOUT_S)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {body[:300]!r}")
        return body
    finally:
        conn.close()


def wait_jobs(server: load.Server, album: int, auth: dict[str, str]) -> list[dict]:
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        jobs = server.call("GET", f"/api/v1/albums/{album}/jobs", None, auth)
        if all(j["status"] in ("succeeded", "failed", "cancelled") for j in jobs):
            return jobs
        time.sleep(1)
    raise SystemExit("the album's jobs did not finish in time")


def build_album(server: load.Server, collection: Path, say: bench.Say) -> dict[str, Any]:
    """The collection's works through the API, trained and published: the album and its bundle."""
    who = {"email": "visitor-page@example.org", "password": "a long secret phrase"}
    server.call("POST", "/api/v1/auth/signup", who)
    auth = {"Authorization": f"Bearer {server.call('POST', '/api/v1/auth/token', who)['token']}"}
    album = server.call("POST", "/api/v1/albums", {"name": "Visitor page benchmark"}, auth)
    works = sorted(p for p in (collection / "album").iterdir() if p.is_dir())
    started = time.perf_counter()
    for index, folder in enumerate(works):
        if index % 4 == 3:
            wait_jobs(server, album["id"], auth)  # the server takes four clips at a time
        info = json.loads((folder / "info.json").read_text())
        found = server.call(
            "POST",
            f"/api/v1/albums/{album['id']}/classes",
            {"name": folder.name, "title": info["title"], "description": info["description"]},
            auth,
        )
        body, content_type = load.upload((folder / "clip.mp4").read_bytes(), "clip.mp4", "file")
        server.call(
            "POST",
            f"/api/v1/albums/{album['id']}/classes/{found['id']}/media",
            body,
            {**auth, "Content-Type": content_type},
        )
    wait_jobs(server, album["id"], auth)
    server.call("POST", f"/api/v1/albums/{album['id']}/train", {}, auth)
    jobs = wait_jobs(server, album["id"], auth)
    if not any(j["kind"] == "train" and j["status"] == "succeeded" for j in jobs):
        raise SystemExit(f"training did not succeed: {jobs}")
    published = server.call("PATCH", f"/api/v1/albums/{album['id']}", {"published": True}, auth)
    say(f"album of {len(works)} works trained and published in {time.perf_counter() - started:.0f} s")
    number = published["published_version"]
    bundle = get(server, f"/api/v1/albums/{album['id']}/models/{number}/bundle", auth)
    return {"id": album["id"], "slug": published["slug"], "bundle": bundle, "works": len(works)}


def server_answers(server: load.Server, bundle: Any, slug: str, photos: list[Path]) -> list[dict]:
    """The server's model stage (what the page stands for) and its visitor answer, per photo."""
    answers = []
    for path in photos:
        (similarity,) = bundle.session.run(["similarity"], {"image": bundle.pixels(path)[None]})[0]
        (stage,) = bundle.predict([path], verify=False)
        body, content_type = load.upload(path.read_bytes(), path.name, "image")
        visitor = server.call("POST", f"/api/v1/v/{slug}/predict", body, {"Content-Type": content_type})
        best = visitor["predictions"][0]["label"] if visitor["predictions"] else None
        answers.append(
            {
                "label": stage["predictions"][0]["label"],
                "unknown": stage["unknown"],
                "similarity": float(similarity.max()),
                "visitor_label": best,
                "visitor_unknown": visitor["unknown"],
            }
        )
    return answers


class Transfers:
    """What a page asked for; what each costs on the wire is asked again of the server (below)."""

    def __init__(self, page: Any) -> None:
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))

    def total(self, server: load.Server, part: str = "") -> dict[str, Any]:
        """The files named `part` as the server sends them to chromium (which accepts gzip and
        deflate over plain HTTP, brotli and zstd only over HTTPS): bytes sent and the files' size.
        Chromium's own counters miss WebAssembly read by streaming compilation."""
        sent = files = 0
        encodings = set()
        for url in sorted({u for u in self.urls if part in u and u.startswith("http://127.0.0.1")}):
            path = url.split(f":{server.port}", 1)[1]
            body, encoding = fetch(server, path, {"Accept-Encoding": "gzip, deflate"})
            sent += len(body)
            files += len(gzip.decompress(body)) if encoding == "gzip" else len(body)
            encodings.add(encoding or "identity")
        return {"mb_sent": sent / 1e6, "mb_files": files / 1e6, "encodings": sorted(encodings)}


def fetch(server: load.Server, path: str, headers: dict[str, str]) -> tuple[bytes, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=load.REQUEST_TIMEOUT_S)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.read(), response.getheader("Content-Encoding")
    finally:
        conn.close()


def ready(page: Any, console: list[str]) -> None:
    """Until the page recognises on the device; why not, where it fell back to the server."""
    page.wait_for_selector(
        "#viewer[data-mode=device], #viewer[data-why]", state="attached", timeout=LOAD_TIMEOUT_MS
    )
    why = page.get_attribute("#viewer", "data-why")
    if why:
        raise SystemExit(f"the page asks the server: {why}\n" + "\n".join(console[-20:]))


def fresh_load(browser: Any, server: load.Server, slug: str, photo: Path) -> dict[str, Any]:
    context = browser.new_context(base_url=f"http://127.0.0.1:{server.port}", **PHONE)
    context.add_init_script(REFUSE_CAMERA + WATCH)
    page = context.new_page()
    transfers = Transfers(page)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(f"/v/{slug}/")
        ready(page, console)
        # Offline the phone answers (online the server does, for its keypoint check).
        context.set_offline(True)
        page.set_input_files("#photo", str(photo))
        page.wait_for_function("window.benchMarks.answer", timeout=LOAD_TIMEOUT_MS)
        marks = page.evaluate("window.benchMarks")
        by = page.get_attribute("#card", "data-by")
        context.set_offline(False)
        page.wait_for_timeout(500)  # the service worker's own copies, which are not the page's load
        threads = page.evaluate("(window.ort && ort.env.wasm.numThreads) || null")
        return {
            "ready_s": marks["ready"] / 1e3,
            "photo_answer_ms": marks["answer"] - marks["photo"],
            "first_answer_s": (marks["ready"] + marks["answer"] - marks["photo"]) / 1e3,
            "first_answer_by": by,
            "threads": threads,
            "isolated": page.evaluate("self.crossOriginIsolated"),
            "runtime": transfers.total(server, "/static/museion/ort/"),
            "model": transfers.total(server, "/model"),
            "all": transfers.total(server),
        }
    finally:
        context.close()


def per_frame(browser: Any, base: str, slug: str, threads: int, frames: int) -> dict[str, Any]:
    context = browser.new_context(base_url=base, **PHONE)
    context.add_init_script(REFUSE_CAMERA + FORCE_THREADS % threads)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    try:
        page.goto(f"/v/{slug}/")
        ready(page, console)
        made = page.evaluate(MAKE, threads)
        runs = page.evaluate(FRAMES, [frames, 1280, 720])
        times = sorted(ms for ms, _ in runs)
        return {
            "threads": made["threads"],
            "isolated": made["isolated"],
            "median_ms": statistics.median(times),
            "p90_ms": times[int(0.9 * (len(times) - 1))],
            "frames": len(times),
            "pixels_ms_median": statistics.median(p for _, p in runs),
        }
    finally:
        context.close()


def agreement(
    browser: Any, base: str, slug: str, photos: list[Path], server: list[dict], bundle: Any
) -> dict[str, Any]:
    context = browser.new_context(base_url=base, **PHONE)
    context.add_init_script(REFUSE_CAMERA)
    page = context.new_page()
    try:
        page.goto(f"/v/{slug}/")
        page.evaluate(MAKE, None)
        here = [page.evaluate(RECOGNISE, base64.b64encode(p.read_bytes()).decode()) for p in photos]
        on_pixels = [
            page.evaluate(ON_PIXELS, base64.b64encode(bundle.pixels(p).tobytes()).decode()) for p in photos
        ]
    finally:
        context.close()
    diffs = sorted(abs(h["similarity"] - s["similarity"]) for h, s in zip(here, server, strict=True))
    runtime_only = sorted(abs(h - s["similarity"]) for h, s in zip(on_pixels, server, strict=True))
    pairs = list(zip(here, server, strict=True))
    # What a visitor sees: the same verdict, and where it is a work, the same work.
    seen = sum(h["unknown"] == s["unknown"] and (h["unknown"] or h["label"] == s["label"]) for h, s in pairs)
    same_label = sum(h["label"] == s["label"] for h, s in pairs)
    same_unknown = sum(h["unknown"] == s["unknown"] for h, s in pairs)
    visitor_same = sum(
        h["unknown"] == s["visitor_unknown"] and (h["unknown"] or h["label"] == s["visitor_label"])
        for h, s in pairs
    )
    return {
        "photos": len(photos),
        "label": same_label / len(photos),
        "unknown": same_unknown / len(photos),
        "both": sum(h["label"] == s["label"] and h["unknown"] == s["unknown"] for h, s in pairs)
        / len(photos),
        "answer": seen / len(photos),
        "similarity_max": diffs[-1],
        "similarity_median": statistics.median(diffs),
        "runtime_only_max": runtime_only[-1],
        "runtime_only_median": statistics.median(runtime_only),
        "with_visitor_answer": visitor_same / len(photos),
        "unknown_here": sum(h["unknown"] for h in here),
        "unknown_server": sum(s["unknown"] for s in server),
        "photo_ms_median": statistics.median(h["ms"] for h in here),
        "disagreements": [
            {"photo": p.name, "page": h, "server": s}
            for p, h, s in zip(photos, here, server, strict=True)
            if h["label"] != s["label"] or h["unknown"] != s["unknown"]
        ],
    }


def offline(browser: Any, base: str, slug: str, photos: list[Path], server: list[dict]) -> dict[str, Any]:
    """One visit online, then airplane mode: the page from the service worker, answers on the device."""
    context = browser.new_context(base_url=base, **PHONE)
    context.add_init_script(REFUSE_CAMERA)
    page = context.new_page()
    failed: list[str] = []
    try:
        page.goto(f"/v/{slug}/")
        page.wait_for_selector("#viewer[data-mode=device]", state="attached", timeout=LOAD_TIMEOUT_MS)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_timeout(1000)  # the worker keeps what the page loaded
        context.set_offline(True)
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.reload()
        page.wait_for_selector("#viewer[data-mode=device]", state="attached", timeout=LOAD_TIMEOUT_MS)
        agreed = 0
        for path, expected in zip(photos, server, strict=True):
            before = int(page.get_attribute("#card", "data-answers") or "0")
            page.set_input_files("#photo", str(path))
            page.wait_for_selector(
                f"#card[data-answers='{before + 1}']", state="attached", timeout=LOAD_TIMEOUT_MS
            )
            unknown = page.get_attribute("#card", "data-unknown") == "true"
            label = page.get_attribute("#card", "data-label")
            by = page.get_attribute("#card", "data-by")
            agreed += (
                by == "device" and unknown == expected["unknown"] and (unknown or label == expected["label"])
            )
        return {"photos": len(photos), "agreed_on_device": agreed, "failed_requests": len(failed)}
    finally:
        context.close()


def collection_photos(collection: Path, per_kind: int | None) -> list[Path]:
    manifest = json.loads((collection / "visitors" / "manifest.json").read_text())
    return [collection / row["file"] for row in manifest][: per_kind or None]


def benchmark(args: argparse.Namespace, tmp: Path, say: bench.Say) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from museion.vision.bundle import Bundle

    collection = args.collection
    if collection is None:
        collection = tmp / "collection"
        hardset.generate(collection, args.works, args.seed, 2, 8.0, args.photos, 3)
        print(file=sys.stderr)
    photos = collection_photos(collection, args.limit)
    report: dict[str, Any] = {
        "machine": {"cpu": bench.cpu_model(), "cores": bench.CORES},
        "load_average_start": bench.load_average(),
        "collection": str(collection),
    }
    server = load.Server(bench.environment(tmp / "home", 1, args.server_env), tmp / "serve.log")
    try:
        say(f"museion serve answered after {server.wait_healthy():.1f} s on port {server.port}")
        album = build_album(server, collection, say)
        bundle = Bundle.load(album["bundle"])
        expected = server_answers(server, bundle, album["slug"], photos)
        base = f"http://127.0.0.1:{server.port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                report["fresh"] = fresh_load(browser, server, album["slug"], photos[0])
                say(f"fresh load: {json.dumps(report['fresh'])}")
                report["frames"] = [
                    per_frame(browser, base, album["slug"], t, args.frames) for t in args.threads
                ]
                say(f"per frame: {json.dumps(report['frames'])}")
                report["agreement"] = agreement(browser, base, album["slug"], photos, expected, bundle)
                report["offline"] = offline(browser, base, album["slug"], photos[:6], expected[:6])
            finally:
                browser.close()
        report["works"] = album["works"]
        report["load_average_end"] = bench.load_average()
    finally:
        server.stop()
    return report


def print_report(r: dict[str, Any]) -> None:
    fresh, agree, off = r["fresh"], r["agreement"], r["offline"]
    rows = [
        (
            "fresh load to first on-device answer",
            f"{fresh['first_answer_s']:.2f} s "
            f"(ready {fresh['ready_s']:.2f} s + photo {fresh['photo_answer_ms']:.0f} ms, "
            f"by {fresh['first_answer_by']})",
            f"<= {TARGETS['first_answer_s']} s",
            fresh["first_answer_s"] <= TARGETS["first_answer_s"],
        ),
        (
            "runtime transferred (ort.*)",
            f"{fresh['runtime']['mb_sent']:.2f} MB sent, {fresh['runtime']['mb_files']:.2f} "
            f"MB files ({', '.join(fresh['runtime']['encodings'])})",
            f"<= {TARGETS['runtime_mb']} MB",
            fresh["runtime"]["mb_sent"] <= TARGETS["runtime_mb"],
        ),
        (
            "model.onnx transferred",
            f"{fresh['model']['mb_sent']:.2f} MB sent, {fresh['model']['mb_files']:.2f} MB file",
            "",
            None,
        ),
        (
            "everything transferred",
            f"{fresh['all']['mb_sent']:.2f} MB sent, {fresh['all']['mb_files']:.2f} MB files",
            "",
            None,
        ),
        *[
            (
                f"per frame 1280x720, {f['threads']} thread(s)",
                f"median {f['median_ms']:.1f} ms (pixels {f['pixels_ms_median']:.1f}), "
                f"p90 {f['p90_ms']:.1f} ms"
                f" ({f['frames']} frames, isolated {f['isolated']})",
                f"<= {TARGETS['frame_ms']} ms",
                f["median_ms"] <= TARGETS["frame_ms"],
            )
            for f in r["frames"]
        ],
        (
            f"agreement with the server's model stage, {agree['photos']} photos",
            f"label {agree['label']:.1%}, unknown {agree['unknown']:.1%}, both {agree['both']:.1%}",
            f">= {TARGETS['agreement']:.0%}",
            agree["both"] >= TARGETS["agreement"],
        ),
        (
            "the answer a visitor sees (verdict, and the work if known)",
            f"{agree['answer']:.1%}",
            f">= {TARGETS['agreement']:.0%}",
            agree["answer"] >= TARGETS["agreement"],
        ),
        (
            "similarity |page - server|",
            f"max {agree['similarity_max']:.4f}, median {agree['similarity_median']:.4f}",
            f"<= {TARGETS['similarity']}",
            agree["similarity_max"] <= TARGETS["similarity"],
        ),
        (
            "  of which the runtimes (same pixels)",
            f"max {agree['runtime_only_max']:.4f}, median {agree['runtime_only_median']:.4f}",
            "",
            None,
        ),
        (
            "same as the server's visitor answer (keypoint check)",
            f"{agree['with_visitor_answer']:.1%}",
            "",
            None,
        ),
        (
            "offline after one visit (service worker)",
            f"{off['agreed_on_device']}/{off['photos']} answered on the "
            f"device as the server, {off['failed_requests']} requests failed",
            "all",
            off["agreed_on_device"] == off["photos"] and off["failed_requests"] == 0,
        ),
    ]
    print(
        f"\n{r['works']} works, {agree['photos']} visitors' photos; {r['machine']['cpu']}, "
        f"{r['machine']['cores']} cores; "
        f"load average {r['load_average_start']} at the start, {r['load_average_end']} at the end"
    )
    width = max(len(row[0]) for row in rows)
    for name, figure, target, met in rows:
        verdict = "" if met is None else ("met" if met else "NOT met")
        print(f"{name:<{width}}  {figure:<70}  {target:<10} {verdict}")
    for row in agree["disagreements"]:
        print(f"  differs: {row['photo']}: page {row['page']} server {row['server']}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--collection", type=Path, help="a folder written by hardset.py (default: made here)")
    parser.add_argument("--works", type=int, default=6, help="works of the generated collection (default 6)")
    parser.add_argument("--photos", type=int, default=6, help="visitors' photos per known work (default 6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="only the first N visitors' photos")
    parser.add_argument("--frames", type=int, default=20, help="frames timed per thread count (default 20)")
    parser.add_argument(
        "--threads", default="1,2", help="thread counts to time, comma-separated (default 1,2)"
    )
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    try:
        args.threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        parser.error("--threads takes numbers separated by commas, such as 1,2")
    if min(args.threads) < 1 or args.frames < 1 or args.works < 2:
        parser.error("threads and frames must be at least 1, works at least 2")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"this benchmark needs Debian's chromium at {CHROMIUM}", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="museion-visitor-page-") as tmp:
        report = benchmark(args, Path(tmp), say)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
