"""The album recognizer as shipped, on the hard collections of benchmarks/hardset.py (issue 12).

For each collection (a folder written by hardset.py) it

1. trains through the product's own path, `museion train OUT/album --out album.zip --json`, in a
   child process: wall and CPU seconds and the peak RSS of that process (os.wait4), from the
   start of the CLI to the verified bundle, with the load average at the start;
2. scores every visitor's photo three ways:
   - `server`: the server's path (`albums.recognize`): `train.photo_features` (one decode, the
     embedding and the SIFT keypoints), then the `Head` read from the bundle's head.npz
     (`Head.from_bytes`), `scores` with the keypoints and `threshold_for` them;
   - `cli`: `Bundle.predict(verify=True)`, what `museion predict --bundle` answers;
   - `browser`: `Bundle.predict(verify=False)`, model.onnx's global answer alone, what a page
     running the bundle in onnxruntime-web gets;
   and, to compare like with like, `global`: the server's Head without keypoints (the stage
   model.onnx stands for), with its global threshold;
3. reports for each: top-1 on known works' photos, known works' photos refused, unknown photos
   refused (left-out artists' works and unrelated photos, apart and together), the AUROC of the
   deciding score (the best work's score, fused or global) between known and unknown photos,
   and the share of wrong answers that name another work of the same artist; the agreement of
   `cli` with `server` and of `browser` with `global` (same best work and same unknown verdict);
   a per-condition table; the server path's latency per photo once loaded; the cold start of
   `museion predict --bundle album.zip ONE.jpg --json`; and what the bundle's metrics.json
   claims (accuracy, known_refused, unknown_refused on its own calibration photos).

`Bundle.predict` gives probabilities, not the deciding score, so for the AUROC of `cli` and
`browser` the bundle's graph is run once more: `browser`'s score is model.onnx's similarity,
`cli`'s that plus the server's keypoint bonus (what `Bundle.predict` adds while its shortlist is
the server's; matching the keypoints a third time would cost 0.4 s of CPU a photo). The answers
counted are `Bundle.predict`'s own.

`--scale 500` adds the server path's latency on one photo for an album of 500 works: a Head of
random unit prototypes (500 x 64) with 8 references a work made of real photos' keypoints.

    .venv/bin/python benchmarks/hardset.py var/hardset/w12-s0 --works 12 --seed 0
    .venv/bin/python benchmarks/hard_recognizer.py var/hardset/w12-s0 [more] --json var/hard.json --scale 500
    .venv/bin/python benchmarks/hard_recognizer.py --merge var/hard.json

It prints markdown tables, and writes the figures as JSON with `--json`. Times on a shared
2-core machine move with its load: the load average is reported beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MUSEION_SHARED", REPO.parent / "shared"))
MUSEION = Path(sys.executable).parent / "museion"
ANSWERS = ("server", "cli", "browser", "global")
WHAT = {
    "server": "photo_features + Head from head.npz, verified",
    "cli": "Bundle.predict verify=True, as museion predict",
    "browser": "Bundle.predict verify=False, model.onnx alone",
    "global": "the server's Head without keypoints",
}
SECOND_LOOK = True  # --no-second-look: the answers of the recognizer before it, for comparison
STEP_BACK = True  # --no-step-back: the second look at the centres only
TARGETS = {"top1": 0.97, "unknown_refused": 0.95, "known_refused": 0.05, "agreement": 0.99,
           "train_s": {12: 20, 40: 60}, "peak_rss_mb": 600, "predict_500_ms": 150}  # fmt: skip


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MUSEION_MODEL_MIRROR", str(SHARED / "models"))
    env["MUSEION_HOME"] = str(home)
    return env


def load() -> float:
    return round(os.getloadavg()[0], 1)


def run_measured(command: list[str], env: dict[str, str]) -> dict:
    """Run `command`; its wall and CPU seconds, peak RSS (MB), exit code and stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "wall_s": round(wall, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "rc": child.returncode,
            "stdout": out.read().decode(),
            "stderr": err.read().decode()[-2000:],
        }


def train(collection: Path, bundle: Path, env: dict[str, str]) -> dict:
    load_avg = load()
    run = run_measured(
        [str(MUSEION), "train", str(collection / "album"), "--out", str(bundle), "--json"], env
    )
    if run["rc"] != 0:
        raise SystemExit(f"museion train failed ({run['rc']}): {run['stderr']}")
    with zipfile.ZipFile(bundle) as zf:
        metrics = json.loads(zf.read("metrics.json"))
    return {
        "wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "peak_rss_mb": run["peak_rss_mb"],
        "load_avg": load_avg, "load_avg_end": load(),
        "claimed": {k: metrics.get(k) for k in ("accuracy", "known_refused", "unknown_refused",
                                                "answered_right", "validated")},
        "claimed_global": metrics.get("global_stage"),
        "claimed_per_condition": metrics.get("per_condition"),
        "warnings": metrics.get("warnings"),
        "thresholds": {"verified": metrics.get("verified_threshold"),
                       "global": metrics.get("unknown_threshold")},
        "export_check": metrics.get("export_check"), "pictures": metrics.get("pictures"),
        "train_seconds_inside": metrics.get("seconds"),
        "calibration_scores": metrics.get("scores"),  # to judge another threshold rule offline
    }  # fmt: skip


def server_head(bundle: Path):  # a museion Head, imported late (after MUSEION_HOME is set)
    """The head the server keeps, as the bundle carries it (head.npz)."""
    from museion.vision.head import Head

    with zipfile.ZipFile(bundle) as zf:
        labels = json.loads(zf.read("labels.json"))
        return Head.from_bytes(zf.read("head.npz"), [x["name"] for x in labels])


def score_photos(collection: Path, bundle_path: Path) -> list[dict]:
    """Each visitor photo through the server's path, and through the bundle with and without its
    keypoint check; the server's path timed."""
    from museion.vision import keypoints, second_look
    from museion.vision.bundle import Bundle
    from museion.vision.catalog import Catalog
    from museion.vision.images import open_photo
    from museion.vision.train import photo_features

    if not SECOND_LOOK:
        second_look.CENTRES, second_look.STEP_BACK = (), 0  # read at each call, by both paths
    if not STEP_BACK:
        second_look.STEP_BACK = 0
    manifest = json.loads((collection / "visitors" / "manifest.json").read_text())
    bundle, head = Bundle.load(bundle_path), server_head(bundle_path)
    spec = Catalog().get(bundle.metrics["backbone"])
    names = head.classes
    rows = []
    for i, entry in enumerate(manifest):
        if i % 50 == 0:
            print(f"    {collection.name}: photo {i}/{len(manifest)}", file=sys.stderr, flush=True)
        data = (collection / entry["file"]).read_bytes()
        started, cpu = time.perf_counter(), time.process_time()
        looked: list[tuple[np.ndarray, int]] = []  # each look's embedding and keypoint count

        def look(picture, compared: int, looked: list = looked) -> np.ndarray:  # within this photo's turn
            vector, points = photo_features(picture, spec)
            looked.append((vector, len(points)))
            return head.scores(vector[None], [points], compared)[1][0]

        # As albums.recognize: a photo refused at first sight is looked at again at its centre.
        fused = second_look.decided(data, look, head.threshold_for(()))[None]
        best = int(np.argmax(fused[0]))
        server_unknown = bool(fused[0, best] < head.threshold_for(()))
        server_ms = (time.perf_counter() - started) * 1000
        server_cpu_ms = (time.process_time() - cpu) * 1000
        vector, keypoint_count = looked[0]  # the first look's, as the global stage sees the photo
        _, global_score = head.scores(vector[None])
        global_best = int(np.argmax(global_score[0]))
        global_unknown = bool(global_score[0, global_best] < head.threshold_for(None))
        cli = bundle.predict([data], top_k=1, verify=True)[0]
        browser = bundle.predict([data], top_k=1, verify=False)[0]
        # The deciding scores of the bundle's two answers: model.onnx's similarity, and that plus the
        # server's keypoint bonus (the same bonus Bundle.predict adds while both shortlist alike).
        photo = open_photo(data, target_size=keypoints.decode_size).image
        (s,) = bundle.session.run(["similarity"], {"image": bundle.pixels(photo)[None]})[0]
        cli_score = s + (fused[0] - global_score[0])
        rows.append({
            **{k: entry.get(k) for k in ("file", "work", "condition", "kind", "artist")},
            "server": names[best], "server_unknown": server_unknown, "server_score": float(fused[0, best]),
            "global": names[global_best], "global_unknown": global_unknown,
            "global_score": float(global_score[0, global_best]),
            "cli": cli["predictions"][0]["label"], "cli_unknown": cli["unknown"],
            "cli_score": float(cli_score.max()),
            "browser": browser["predictions"][0]["label"], "browser_unknown": browser["unknown"],
            "browser_score": float(s.max()),
            "server_ms": server_ms, "server_cpu_ms": server_cpu_ms, "keypoints": keypoint_count,
            "second_look": len(looked) > 1,
        })  # fmt: skip
    return rows


def cold_predict(collection: Path, bundle: Path, env: dict[str, str]) -> dict:
    photo = collection / "visitors" / "0000.jpg"
    load_avg = load()
    run = run_measured([str(MUSEION), "predict", "--bundle", str(bundle), str(photo), "--json"], env)
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"], "rc": run["rc"], "load_avg": load_avg}


def summarise(rows: list[dict], artist_of: dict[str, str], answer: str) -> dict:
    """The headline figures for one way of answering (one of ANSWERS)."""
    known = [r for r in rows if r["kind"] == "known"]
    unknown = [r for r in rows if r["kind"] != "known"]
    refused = f"{answer}_unknown"
    right = [r[answer] == r["work"] for r in known]
    wrong = [r for r in known if r[answer] != r["work"]]
    same_artist = [artist_of.get(r[answer]) == r["artist"] for r in wrong]
    scores = [r[f"{answer}_score"] for r in known + unknown]
    truth = [1] * len(known) + [0] * len(unknown)
    return {
        "top1": _mean(right),
        "answered_right": _mean([ok and not r[refused] for ok, r in zip(right, known, strict=True)]),
        "known_refused": _mean([r[refused] for r in known]),
        "unknown_refused": _mean([r[refused] for r in unknown]),
        "unknown_artist_refused": _mean([r[refused] for r in unknown if r["kind"] == "unknown_artist"]),
        "unrelated_refused": _mean([r[refused] for r in unknown if r["kind"] == "unrelated"]),
        "wrong_same_artist": _mean(same_artist), "wrong": len(wrong),
        "auroc": round(float(roc_auc_score(truth, scores)), 4) if unknown and known else None,
        "known_photos": len(known), "unknown_photos": len(unknown),
        "unknown_artist_photos": sum(r["kind"] == "unknown_artist" for r in unknown),
        "unrelated_photos": sum(r["kind"] == "unrelated" for r in unknown),
    }  # fmt: skip


def agreement(rows: list[dict], a: str, b: str) -> float | None:
    return _mean([r[a] == r[b] and r[f"{a}_unknown"] == r[f"{b}_unknown"] for r in rows])


def per_condition(rows: list[dict], answer: str) -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["condition"] if r["kind"] == "known" else f"unknown:{r['kind']}"].append(r)
    out = {}
    for name, group in sorted(groups.items()):
        if name.startswith("unknown:"):
            out[name] = {"n": len(group), "refused": _mean([r[f"{answer}_unknown"] for r in group])}
        else:
            out[name] = {
                "n": len(group),
                "top1": _mean([r[answer] == r["work"] for r in group]),
                "refused": _mean([r[f"{answer}_unknown"] for r in group]),
            }
    return out


def _mean(values: list) -> float | None:
    return round(float(np.mean(values)), 4) if values else None


def measure(collection: Path) -> dict:
    info = json.loads((collection / "collection.json").read_text())
    artist_of = {w["name"]: w["artist"] for w in info["collection"]}
    with tempfile.TemporaryDirectory(prefix="museion-hard-") as tmp:
        env, bundle = child_env(Path(tmp) / "home"), Path(tmp) / "album.zip"
        os.environ.update({k: env[k] for k in ("MUSEION_MODEL_MIRROR", "MUSEION_HOME")})
        training = train(collection, bundle, env)
        scoring_load = load()
        rows = score_photos(collection, bundle)
        cold = cold_predict(collection, bundle, env)
        size_mb = round(bundle.stat().st_size / 2**20, 1)
    server_ms = [r["server_ms"] for r in rows]
    return {
        "set": collection.name, "works": info["works"], "seed": info["seed"], "clip_fps": info["clip_fps"],
        "train": training, "bundle_mb": size_mb,
        **{answer: summarise(rows, artist_of, answer) for answer in ANSWERS},
        "agreement_cli_server": agreement(rows, "cli", "server"),
        "agreement_browser_global": agreement(rows, "browser", "global"),
        "agreement_browser_server": agreement(rows, "browser", "server"),
        "predict_ms": {
            "server_median": round(statistics.median(server_ms), 1),
            "server_p95": round(float(np.percentile(server_ms, 95)), 1),
            "server_cpu_median": round(statistics.median(r["server_cpu_ms"] for r in rows), 1),
            "load_avg": scoring_load,
            "cli_cold_s": cold["wall_s"], "cli_cold_load_avg": cold["load_avg"], "cli_cold_rc": cold["rc"],
            "cli_cold_peak_rss_mb": cold["peak_rss_mb"],
        },
        "per_condition": {answer: per_condition(rows, answer) for answer in ("server", "browser")},
        "rows": rows,
    }  # fmt: skip


def scale_latency(collection: Path, works: int = 500, repeats: int = 7) -> dict:
    """The server path on one photo against an album of `works` works (synthetic head)."""
    from museion.vision import head as heads
    from museion.vision.catalog import DEFAULT_CLASSIFIER, Catalog
    from museion.vision.train import photo_features

    spec = Catalog().get(DEFAULT_CLASSIFIER)
    photos = sorted((collection / "visitors").glob("*.jpg"))[:8]
    features = [photo_features(p.read_bytes(), spec) for p in photos]
    dim = len(features[0][0])
    rng = np.random.default_rng(0)
    protos = rng.standard_normal((works, heads.PROTOTYPES_PER_CLASS, dim)).astype(np.float32)
    protos /= np.linalg.norm(protos, axis=2, keepdims=True)
    per = heads.REFERENCES_PER_CLASS
    labels = np.repeat(np.arange(works), per)
    ref_emb = protos[:, :per, :].reshape(-1, dim).copy()
    ref_kp = [features[i % len(features)][1] for i in range(works * per)]
    head = heads.Head([f"w{i:03d}" for i in range(works)], protos, 0.5, 0.5,
                      heads.References(labels, ref_emb, ref_kp))  # fmt: skip
    head = heads.Head.from_bytes(head.to_bytes())  # as the server holds it
    # The photo: another of the set's, so its keypoints are real and not a copy of a reference.
    data = sorted((collection / "visitors").glob("*.jpg"))[9].read_bytes()
    times, cpu_times, load_avg = [], [], load()
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        vector, points = photo_features(data, spec)
        _, score = head.scores(vector[None], [points])
        best = int(np.argmax(score[0]))
        _ = score[0, best] < head.threshold_for([points])
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
    started = time.perf_counter()
    for _ in range(repeats):
        head.similarity(vector[None])
    global_ms = (time.perf_counter() - started) * 1000 / repeats
    return {
        "works": works, "prototypes": int(protos.shape[1]), "references": len(labels),
        "head_mb": round(len(head.to_bytes()) / 2**20, 1),
        "median_ms": round(statistics.median(times), 1), "min_ms": round(min(times), 1),
        "cpu_median_ms": round(statistics.median(cpu_times), 1),
        "global_stage_ms": round(global_ms, 1), "load_avg": load_avg, "repeats": repeats,
    }  # fmt: skip


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _auroc(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def accuracy_table(results: list[dict], answer: str) -> list[str]:
    lines = [
        f"**{answer}** ({WHAT[answer]})",
        "",
        "| set | top-1 | answered right | known refused | unknown refused | left-out artist refused "
        "| unrelated refused | same-artist share of errors | AUROC |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b = r[answer]
        lines.append(
            f"| {r['set']} | {pct(b['top1'])} | {pct(b['answered_right'])} | {pct(b['known_refused'])} "
            f"| {pct(b['unknown_refused'])} | {pct(b['unknown_artist_refused'])} "
            f"| {pct(b['unrelated_refused'])} "
            f"| {pct(b['wrong_same_artist'])} ({b['wrong']}) | {_auroc(b['auroc'])} |"
        )
    for works, group in _by_works(results).items():
        if len(group) > 1:
            keys = ("top1", "answered_right", "known_refused", "unknown_refused", "unknown_artist_refused",
                    "unrelated_refused", "wrong_same_artist")  # fmt: skip
            cells = [_mean_sd([g[answer][key] for g in group]) for key in keys]
            cells.append(_mean_sd([g[answer]["auroc"] for g in group], pct=False))
            lines.append(f"| mean {works} works ({len(group)} seeds) | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _by_works(results: list[dict]) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = defaultdict(list)
    for r in results:
        groups[r["works"]].append(r)
    return dict(sorted(groups.items()))


def _mean_sd(values: list, pct: bool = True) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    m, s = float(np.mean(values)), float(np.std(values))
    return f"{m:.0%} ± {s:.0%}" if pct else f"{m:.2f} ± {s:.2f}"


def markdown(results: list[dict], scale: dict | None = None) -> str:
    lines = []
    for answer in ANSWERS:
        lines += accuracy_table(results, answer)
    lines += [
        "**Agreement, time, memory, and metrics.json's own claims**",
        "",
        "| set | cli = server | browser = global | browser = server | train wall / CPU s (load) "
        "| peak RSS MB | bundle MB | server predict ms median / p95 / CPU (load) | CLI cold s (load) "
        "| claimed top-1 / known refused / unknown refused | export check |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t, p, c = r["train"], r["predict_ms"], r["train"]["claimed"]
        check = t["export_check"] or {}
        lines.append(
            f"| {r['set']} | {pct(r['agreement_cli_server'])} | {pct(r['agreement_browser_global'])} "
            f"| {pct(r['agreement_browser_server'])} "
            f"| {t['wall_s']:.0f} / {t['cpu_s']:.0f} ({t['load_avg']:.1f}) | {t['peak_rss_mb']:.0f} "
            f"| {r['bundle_mb']} | {p['server_median']:.0f} / {p['server_p95']:.0f} / "
            f"{p.get('server_cpu_median', float('nan')):.0f} ({p['load_avg']:.1f}) "
            f"| {p['cli_cold_s']:.1f} ({p['cli_cold_load_avg']:.1f}) "
            f"| {pct(c['accuracy'])} / {pct(c['known_refused'])} / {pct(c['unknown_refused'])} "
            f"(n={c['validated']}) | {check.get('agree')}/{check.get('checked')}, "
            f"verified {check.get('verified_agree')}/{check.get('verified_checked')} |"
        )
    for answer in ("server", "browser"):
        conditions = sorted({c for r in results for c in r["per_condition"][answer]})
        title = f"Per condition ({answer}; known: top-1 / refused; unknown: refused), n over all sets:"
        lines += ["", title, ""]
        lines += ["| condition | n | " + " | ".join(r["set"] for r in results) + " |",
                  "|---|---|" + "---|" * len(results)]  # fmt: skip
        for c in conditions:
            cells, n = [], 0
            for r in results:
                v = r["per_condition"][answer].get(c)
                n += v["n"] if v else 0
                if v is None:
                    cells.append("-")
                elif "top1" in v:
                    cells.append(f"{pct(v['top1'])} / {pct(v['refused'])}")
                else:
                    cells.append(pct(v["refused"]))
            lines.append(f"| {c} | {n} | " + " | ".join(cells) + " |")
    if scale:
        lines += ["", f"Predict one photo, album of {scale['works']} works (server path, synthetic head of "
                  f"{scale['works']} x {scale['prototypes']} prototypes, {scale['references']} references): "
                  f"median {scale['median_ms']:.0f} ms wall, {scale['cpu_median_ms']:.0f} ms CPU, "
                  f"min {scale['min_ms']:.0f} ms over {scale['repeats']} "
                  f"(global stage alone {scale['global_stage_ms']:.0f} ms; head.npz {scale['head_mb']} MB; "
                  f"load {scale['load_avg']:.1f}); target <= 150 ms."]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", type=Path, help="folders written by benchmarks/hardset.py")
    parser.add_argument("--json", type=Path, help="write the figures (and each photo's answers) here")
    parser.add_argument("--merge", nargs="+", type=Path, help="print the tables of earlier --json files")
    parser.add_argument("--scale", type=int, help="also time one photo against a synthetic album of N works")
    parser.add_argument("--scale-photos", type=Path, help="set of photos for --scale (default: the first)")
    parser.add_argument(
        "--no-second-look", action="store_true", help="score as before the second look at a refused photo"
    )
    parser.add_argument(
        "--no-step-back", action="store_true", help="a second look at the centres only, not the photo shrunk"
    )
    args = parser.parse_args()
    global SECOND_LOOK
    SECOND_LOOK = not args.no_second_look
    global STEP_BACK
    STEP_BACK = not args.no_step_back
    if args.merge:
        stored = [json.loads(path.read_text()) for path in args.merge]
        results = [r for s in stored for r in (s["sets"] if isinstance(s, dict) else s)]
        scale = next((s["scale"] for s in stored if isinstance(s, dict) and s.get("scale")), None)
        if args.scale and args.scale_photos:
            scale = scale_latency(args.scale_photos, args.scale)
        if args.json:
            args.json.write_text(json.dumps({"sets": results, "scale": scale}, indent=1))
        print(markdown(results, scale))
        return
    results: list[dict] = []
    scale = None
    for collection in args.sets:
        print(f"... {collection}", file=sys.stderr, flush=True)
        results.append(measure(collection))
        if args.json:
            args.json.write_text(json.dumps({"sets": results, "scale": scale}, indent=1))
    if args.scale and (args.scale_photos or args.sets):
        scale = scale_latency(args.scale_photos or args.sets[0], args.scale)
        if args.json:
            args.json.write_text(json.dumps({"sets": results, "scale": scale}, indent=1))
    print(markdown(results, scale))


if __name__ == "__main__":
    main()
