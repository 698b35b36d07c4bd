"""How fast `museion train` is, against the code of another commit, side by side (issue 12).

    .venv/bin/python benchmarks/train_speed.py var/hardset/w12-s0 var/hardset/w40-s0 \\
        --baseline b845197 --repeat 2 --json var/train_speed.json

Each set is trained by the code of `--baseline` (its src/ exported to a temporary folder and
put first on PYTHONPATH) and by this checkout's, one after the other, `--repeat` times, so that
both meet the same load. Reported per run: wall and CPU seconds, peak RSS, the load average
before it, and whether the bundle's head.npz and figures are the same as the baseline's: a
speed-up must not change one answer. A shared 2-core machine's timings move with its load:
read the ratios, measured side by side, not the seconds alone.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from hard_recognizer import REPO, child_env, train


def export_src(rev: str, into: Path) -> Path:
    """The src/ folder of commit `rev`, written under `into`."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "src"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(into, filter="data")
    return into / "src"


def train_once(collection: Path, src: Path | None, work: Path) -> dict:
    """`hard_recognizer.train` with `src` (or this checkout) first on the path, and the hash of
    the bundle's head.npz."""
    env = child_env(work / "home")
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    bundle = work / "bundle.zip"
    run = train(collection, bundle, env)
    with zipfile.ZipFile(bundle) as zf:
        head = hashlib.sha256(zf.read("head.npz")).hexdigest()
    return {
        "wall_s": run["wall_s"], "cpu_s": run["cpu_s"], "peak_rss_mb": run["peak_rss_mb"],
        "load_avg": run["load_avg"], "head_sha256": head, "export_ok": run["export_check"]["ok"],
        "figures": {**run["claimed"], **run["thresholds"]},
    }  # fmt: skip


def compare(collection: Path, baseline: Path, repeat: int, work: Path) -> dict:
    runs: dict[str, list[dict]] = {"baseline": [], "this": []}
    for n in range(repeat):
        for name, src in (("baseline", baseline), ("this", None)):
            run = train_once(collection, src, work / f"{name}-{n}")
            runs[name].append(run)
            print(f"  {collection.name} {name:8} wall {run['wall_s']:6.1f} s  cpu {run['cpu_s']:6.1f} s  "
                  f"rss {run['peak_rss_mb']:5.0f} MB  load {run['load_avg']}", flush=True)  # fmt: skip
    first = runs["baseline"][0]
    same = all(r["head_sha256"] == first["head_sha256"] and r["figures"] == first["figures"]
               for r in runs["baseline"] + runs["this"])  # fmt: skip
    wall = {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()}
    return {
        "set": str(collection), "runs": runs, "same_answers": same,
        "median_wall_s": wall, "wall_ratio": round(wall["this"] / wall["baseline"], 3),
        "median_cpu_s": {k: statistics.median(r["cpu_s"] for r in v) for k, v in runs.items()},
        "max_rss_mb": {k: max(r["peak_rss_mb"] for r in v) for k, v in runs.items()},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sets", nargs="+", type=Path, help="hard sets (benchmarks/hardset.py)")
    parser.add_argument("--baseline", required=True, help="the commit to compare with")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        baseline = export_src(args.baseline, Path(tmp) / "baseline")
        for collection in args.sets:
            result = compare(collection, baseline, args.repeat, Path(tmp) / collection.name)
            results.append(result)
            same = result["same_answers"]
            print(f"{collection}: wall this/baseline {result['wall_ratio']}, "
                  f"median {result['median_wall_s']}, same answers: {same}", flush=True)  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"baseline": args.baseline, "cpus": os.cpu_count(), "python": sys.version.split()[0],
                  "results": results}  # fmt: skip
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
