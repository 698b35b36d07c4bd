"""The album recognizer as shipped, on the hard collections of benchmarks/hardset.py (issue 12).

For each collection (a folder written by hardset.py) it

1. trains through the product's own path, `museion train OUT/album --out album.zip --json`, in a
   child process: wall and CPU seconds and the peak RSS of that process (os.wait4), from the
   start of the CLI to the verified bundle;
2. scores every visitor's photo twice: with the bundle, as `museion predict --bundle` does
   (`Bundle.load(...).predict`, onnxruntime), and with the server's path (`albums.recognize`:
   `embed` with `recognizer_input`, then the numpy `Head` whose weights, prototypes and threshold
   are read back from the bundle), and times each per photo once loaded; plus the cold start of
   `museion predict --bundle album.zip ONE.jpg` (start, load, one photo);
3. reports top-1 on known works' photos, the share of known works' photos refused as unknown,
   of unknown works' photos refused (works of the left-out artists, and unrelated photos), the
   bundle's agreement with the server (same best class and same known/unknown answer), the AUROC
   of the server's unknown score (similarity to the best class's prototypes) between known and
   unknown photos, the share of wrong answers that name another work of the same artist, and a
   per-condition table.

    .venv/bin/python benchmarks/hardset.py var/hardset/w12-s0 --works 12 --seed 0
    .venv/bin/python benchmarks/hard_recognizer.py var/hardset/w12-s0 [more] --json var/hard_recognizer.json

It prints markdown tables, and writes the figures as JSON with `--json`. Train times on a shared
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
import onnx
from onnx import numpy_helper
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MUSEION_SHARED", REPO.parent / "shared"))
MUSEION = Path(sys.executable).parent / "museion"
TARGETS = {"top1": 0.97, "unknown_refused": 0.95, "known_refused": 0.05, "agreement": 0.99}


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MUSEION_MODEL_MIRROR", str(SHARED / "models"))
    env["MUSEION_HOME"] = str(home)
    return env


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
    load = os.getloadavg()[0]
    run = run_measured(
        [str(MUSEION), "train", str(collection / "album"), "--out", str(bundle), "--json"], env
    )
    if run["rc"] != 0:
        raise SystemExit(f"museion train failed ({run['rc']}): {run['stderr']}")
    metrics = json.loads(run["stdout"])
    return {
        "wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "peak_rss_mb": run["peak_rss_mb"], "load_avg": load,
        "own_validation": {"accuracy": metrics.get("accuracy"), "known_refused": metrics.get("known_refused"),
                           "visitor_views": metrics.get("visitor_views", {}).get("accuracy")},
        "unknown_threshold": metrics.get("unknown_threshold"), "export_check": metrics.get("export_check"),
        "pictures": metrics.get("pictures"),
    }  # fmt: skip


def server_head(bundle: Path):  # a museion Head, imported late
    """The numpy head the server keeps, read back from the bundle's graph."""
    from museion.vision.head import Head

    with zipfile.ZipFile(bundle) as zf:
        model = onnx.load_model_from_string(zf.read("model.onnx"))
        labels = json.loads(zf.read("labels.json"))
        metrics = json.loads(zf.read("metrics.json"))
    weights = {
        i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name.startswith("museion_")
    }
    c, d = weights["museion_head_w"].shape[1], weights["museion_head_w"].shape[0]
    protos = weights["museion_protos"].T.reshape(c, -1, d)
    return Head([x["name"] for x in labels], weights["museion_head_w"].T.copy(), weights["museion_head_b"],
                protos, float(metrics["unknown_threshold"]))  # fmt: skip


def score_photos(collection: Path, bundle_path: Path) -> list[dict]:
    """Each visitor photo through the bundle and through the server's path, timed."""
    from museion.vision.bundle import Bundle, recognizer_input
    from museion.vision.catalog import Catalog
    from museion.vision.embed import embed

    manifest = json.loads((collection / "visitors" / "manifest.json").read_text())
    bundle, head = Bundle.load(bundle_path), server_head(bundle_path)
    spec = Catalog().get(json.loads(zipfile.ZipFile(bundle_path).read("metrics.json"))["backbone"])
    names = head.classes
    rows = []
    for entry in manifest:
        data = (collection / entry["file"]).read_bytes()
        started = time.perf_counter()
        answer = bundle.predict([data], top_k=1)[0]
        bundle_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        (vector,) = embed([data], spec, input=recognizer_input(spec))
        best, _, unknown = head.predict(vector[None])
        server_ms = (time.perf_counter() - started) * 1000
        _, similarity = head.scores(vector[None])
        rows.append({
            **{k: entry[k] for k in ("file", "work", "condition", "kind", "artist")},
            "bundle": answer["predictions"][0]["label"], "bundle_unknown": answer["unknown"],
            "server": names[int(best[0])], "server_unknown": bool(unknown[0]),
            "known_score": float(similarity[0, best[0]]), "bundle_ms": bundle_ms, "server_ms": server_ms,
        })  # fmt: skip
    return rows


def cold_predict(collection: Path, bundle: Path, env: dict[str, str]) -> dict:
    photo = collection / "visitors" / "0000.jpg"
    run = run_measured([str(MUSEION), "predict", "--bundle", str(bundle), str(photo), "--json"], env)
    return {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"], "rc": run["rc"]}


def summarise(rows: list[dict], artist_of: dict[str, str], answer: str = "bundle") -> dict:
    """The headline figures for one way of answering (`bundle` or `server`)."""
    known = [r for r in rows if r["kind"] == "known"]
    unknown = [r for r in rows if r["kind"] != "known"]
    right = [r[answer] == r["work"] for r in known]
    wrong = [r for r in known if r[answer] != r["work"]]
    same_artist = [artist_of.get(r[answer]) == r["artist"] for r in wrong]
    scores = [r["known_score"] for r in known] + [r["known_score"] for r in unknown]
    truth = [1] * len(known) + [0] * len(unknown)
    refused = f"{answer}_unknown"
    return {
        "top1": _mean(right),
        "answered_right": _mean([ok and not r[refused] for ok, r in zip(right, known, strict=True)]),
        "known_refused": _mean([r[f"{answer}_unknown"] for r in known]),
        "unknown_refused": _mean([r[f"{answer}_unknown"] for r in unknown]),
        "unknown_artist_refused": _mean([r[refused] for r in unknown if r["kind"] == "unknown_artist"]),
        "unrelated_refused": _mean([r[f"{answer}_unknown"] for r in unknown if r["kind"] == "unrelated"]),
        "wrong_same_artist": _mean(same_artist),
        "auroc": float(roc_auc_score(truth, scores)) if unknown and known else None,
        "known_photos": len(known), "unknown_photos": len(unknown),
    }  # fmt: skip


def agreement(rows: list[dict]) -> float:
    return _mean([r["bundle"] == r["server"] and r["bundle_unknown"] == r["server_unknown"] for r in rows])


def per_condition(rows: list[dict], answer: str = "bundle") -> dict[str, dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["condition"] if r["kind"] == "known" else f"unknown:{r['condition']}"].append(r)
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
        rows = score_photos(collection, bundle)
        cold = cold_predict(collection, bundle, env)
        size_mb = round(bundle.stat().st_size / 2**20, 1)
    return {
        "set": collection.name, "works": info["works"], "seed": info["seed"], "clip_fps": info["clip_fps"],
        "train": training, "bundle_mb": size_mb,
        "bundle": summarise(rows, artist_of, "bundle"), "server": summarise(rows, artist_of, "server"),
        "agreement": agreement(rows),
        "predict_ms": {
            "bundle_median": round(statistics.median(r["bundle_ms"] for r in rows), 1),
            "server_median": round(statistics.median(r["server_ms"] for r in rows), 1),
            "bundle_p95": round(float(np.percentile([r["bundle_ms"] for r in rows], 95)), 1),
            "cli_cold_s": cold["wall_s"],
        },
        "per_condition": per_condition(rows, "bundle"), "rows": rows,
    }  # fmt: skip


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def markdown(results: list[dict]) -> str:
    lines = [
        "| set | works | seed | top-1 | answered right | known refused "
        "| unknown refused (artist / unrelated) "
        "| same-artist share of errors | AUROC | bundle = server | train wall / CPU s | peak RSS MB "
        "| predict ms (bundle / server) | CLI cold s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        b, t, p = r["bundle"], r["train"], r["predict_ms"]
        lines.append(
            f"| {r['set']} | {r['works']} | {r['seed']} | {pct(b['top1'])} | {pct(b['answered_right'])} "
            f"| {pct(b['known_refused'])} | {pct(b['unknown_refused'])} "
            f"({pct(b['unknown_artist_refused'])} / "
            f"{pct(b['unrelated_refused'])}) | {pct(b['wrong_same_artist'])} | {b['auroc']:.2f} "
            f"| {pct(r['agreement'])} | {t['wall_s']:.0f} / {t['cpu_s']:.0f} (load {t['load_avg']:.1f}) "
            f"| {t['peak_rss_mb']:.0f} | {p['bundle_median']:.0f} / {p['server_median']:.0f} "
            f"| {p['cli_cold_s']:.1f} |"
        )
    conditions = sorted({c for r in results for c in r["per_condition"]})
    lines += ["", "Per condition (bundle; known: top-1 / refused; unknown: refused), n over all sets:", ""]
    lines += ["| condition | n | " + " | ".join(r["set"] for r in results) + " |",
              "|---|---|" + "---|" * len(results)]  # fmt: skip
    for c in conditions:
        cells, n = [], 0
        for r in results:
            v = r["per_condition"].get(c)
            n += v["n"] if v else 0
            if v is None:
                cells.append("-")
            elif "top1" in v:
                cells.append(f"{pct(v['top1'])} / {pct(v['refused'])}")
            else:
                cells.append(pct(v["refused"]))
        lines.append(f"| {c} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", type=Path, help="folders written by benchmarks/hardset.py")
    parser.add_argument("--json", type=Path, help="write the figures (and each photo's answers) here")
    parser.add_argument("--merge", nargs="+", type=Path, help="print the tables of earlier --json files")
    args = parser.parse_args()
    if args.merge:
        print(markdown([r for path in args.merge for r in json.loads(path.read_text())]))
        return
    results = []
    for collection in args.sets:
        print(f"... {collection}", file=sys.stderr, flush=True)
        results.append(measure(collection))
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
    print(markdown(results))


if __name__ == "__main__":
    main()
