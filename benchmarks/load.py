"""Load benchmark of `museion serve` on loopback: N concurrent clients, a mixed workload.

It starts `museion serve` (with its embedded worker, which trains one album
first) on a free 127.0.0.1 port with a temporary MUSEION_HOME, signs a user
up, builds and trains an album of three works from photos, then, for each N in
`--clients` (default 1, 4, 16, 64, then 256 to overload it), runs N clients
(threads, each with its own keep-alive connection) for `--seconds` seconds.
Each client cycles through three requests, every one a real photo upload:

- classify `kite_and_cold.jpg` (1352x900) with the ImageNet classifier, signed
  in with a token, so that every answered request stores a prediction;
- detect on `pets.jpg` with the COCO detector, anonymously;
- predict `owl.jpg` with the album's model, signed in.

Per N it reports requests per second, p50 / p95 / p99 latency of the answered
requests, answers shed with 503 (the server is overloaded: they carry
Retry-After), other errors, and the peak resident memory (the sum of VmRSS of
the server and its children, sampled every 0.2 s). At the end it checks that
no stored prediction was lost: the user's prediction count equals the
classifications answered 200, and the server is still healthy.

    .venv/bin/python benchmarks/load.py                  # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/load.py --clients 1,8 --seconds 5 --json

Loopback only; every wait is bounded (`--seconds` per N, 60 s per request).
Model files come from MUSEION_MODEL_MIRROR (default `<repo>/../shared/models`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serve as bench

REQUEST_TIMEOUT_S = 60
ALBUM = {"parrot": "parrot.jpg", "owl": "owl.jpg", "hot_dog": "hot_dog.jpg"}
TRAIN_TIMEOUT_S = 300


@dataclass
class Request:
    name: str
    path: str
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    shed: int = 0
    errors: Counter = field(default_factory=Counter)
    stored: int = 0  # classifications answered 200: each stored a prediction
    retry_after_missing: int = 0


class Server(bench.Server):
    """`museion serve` with its embedded worker (the album is trained by it)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = bench.free_port()
        self.log = log
        with log.open("w") as out:
            self.process = bench.subprocess.Popen(
                [sys.executable, "-m", "museion", "serve", "--port", str(self.port)],
                env=env, stdin=bench.subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            hdrs = (
                {"Content-Type": "application/json", **(headers or {})} if isinstance(body, dict) else headers
            )
            conn.request(method, path, body=data, headers=hdrs or {})
            response = conn.getresponse()
            answer = response.read()
            if response.status >= 300:
                raise SystemExit(f"{method} {path}: {response.status} {answer[:300]!r}")
            return json.loads(answer) if answer else None
        finally:
            conn.close()


def upload(
    data: bytes, filename: str, field_name: str, fields: dict[str, str] | None = None
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in (fields or {}).items()]  # fmt: skip
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n")  # fmt: skip
    return b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


def prepare(server: Server, photos: Path, say: bench.Say) -> tuple[dict[str, str], int]:
    """A user with a token, and a trained album of three works: (auth headers, album id)."""
    who = {"email": f"load-{uuid.uuid4().hex[:6]}@example.org", "password": "a long secret phrase"}
    server.call("POST", "/api/v1/auth/signup", who)
    auth = {"Authorization": f"Bearer {server.call('POST', '/api/v1/auth/token', who)['token']}"}
    album = server.call("POST", "/api/v1/albums", {"name": "Load test gallery"}, auth)
    for name, photo in ALBUM.items():
        found = server.call("POST", f"/api/v1/albums/{album['id']}/classes", {"name": name}, auth)
        body, content_type = upload((photos / photo).read_bytes(), photo, "file")
        server.call("POST", f"/api/v1/albums/{album['id']}/classes/{found['id']}/media", body,
                    {**auth, "Content-Type": content_type})  # fmt: skip
    job = server.call("POST", f"/api/v1/albums/{album['id']}/train", {}, auth)["job"]
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while job["status"] not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = server.call("GET", f"/api/v1/jobs/{job['id']}", None, auth)
    if job["status"] != "succeeded":
        raise SystemExit(f"training the album did not succeed: {job}")
    say(f"album trained: {job['result']}")
    return auth, album["id"]


def workload(photos: Path, auth: dict[str, str], album: int) -> list[Request]:
    classify = upload((photos / "kite_and_cold.jpg").read_bytes(), "kite.jpg", "image",
                      {"model": bench.CLASSIFIER})  # fmt: skip
    detect = upload((photos / "pets.jpg").read_bytes(), "pets.jpg", "image", {"model": bench.DETECTOR})
    recognize = upload((photos / "owl.jpg").read_bytes(), "owl.jpg", "image")
    return [
        Request("classify", "/api/v1/predict", *classify, auth),
        Request("detect", "/api/v1/predict", *detect),
        Request("album", f"/api/v1/albums/{album}/predict", *recognize, auth),
    ]


def client(
    server: Server, requests: list[Request], offset: int, until: float, tally: Tally, lock: threading.Lock
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
    i = offset
    while time.monotonic() < until:
        request = requests[i % len(requests)]
        i += 1
        started = time.perf_counter()
        try:
            conn.request("POST", request.path, body=request.body,
                         headers={"Content-Type": request.content_type, **request.headers})  # fmt: skip
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            with lock:
                tally.errors[type(exc).__name__] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
            continue
        elapsed = time.perf_counter() - started
        with lock:
            if response.status == 200:
                tally.latencies.append(elapsed)
                tally.stored += request.name == "classify"
            elif response.status == 503:
                tally.shed += 1
                tally.retry_after_missing += response.getheader("Retry-After") is None
            else:
                tally.errors[f"HTTP {response.status}"] += 1
    conn.close()


def run(server: Server, requests: list[Request], clients: int, seconds: float) -> dict[str, Any]:
    tally, lock = Tally(), threading.Lock()
    peak = {"rss_mb": 0.0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak["rss_mb"] = max(peak["rss_mb"], server.memory()["rss_mb"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=client, args=(server, requests, n, until, tally, lock), daemon=True)
               for n in range(clients)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    ordered = sorted(tally.latencies)

    def pct(q: float) -> float | None:
        return (
            round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1e3, 1)
            if ordered
            else None
        )

    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "answered": len(ordered),
        "per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
        "shed_503": tally.shed,
        "shed_without_retry_after": tally.retry_after_missing,
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "peak_rss_mb": peak["rss_mb"],
        "stored": tally.stored,
    }  # fmt: skip


def benchmark(args: argparse.Namespace, tmp: Path, say: bench.Say) -> dict[str, Any]:
    env = bench.environment(tmp / "home", 1, args.server_env)
    server = Server(env, tmp / "serve.log")
    report: dict[str, Any] = {"machine": {"cpu": bench.cpu_model(), "cores": bench.CORES}, "runs": []}
    try:
        say(f"museion serve answered after {server.wait_healthy():.1f} s on port {server.port}")
        auth, album = prepare(server, args.photos, say)
        requests = workload(args.photos, auth, album)
        stored = 0
        for clients in args.clients:
            result = run(server, requests, clients, args.seconds)
            stored += result["stored"]
            report["runs"].append(result)
            say(fmt(result))
        total = server.call("GET", "/api/v1/predictions", None, auth)["total"]
        report["stored_predictions"] = {"answered": stored, "in_history": total, "lost": stored - total}
        report["healthy_after"] = server.call("GET", "/api/v1/health")["status"] == "ok"
        report["server_alive"] = server.process.poll() is None
    finally:
        server.stop()
    return report


def fmt(r: dict[str, Any]) -> str:
    return (f"N={r['clients']:>3}: {r['per_second']:6.1f} req/s  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  "
            f"p99 {r['p99_ms']} ms  shed(503) {r['shed_503']}  errors {r['errors']}  "
            f"peak RSS {r['peak_rss_mb']:.0f} MB")  # fmt: skip


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,16,64,256", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per client count (default 20)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--photos", type=Path, default=bench.REPO.parent / "shared" / "images")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    try:
        args.clients = [int(c) for c in args.clients.split(",")]
    except ValueError:
        parser.error("--clients takes numbers separated by commas, such as 1,4,16")
    if min(args.clients) < 1 or not 0 < args.seconds <= 600:
        parser.error("client counts must be at least 1 and --seconds between 0 and 600")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    def say(line: str) -> None:
        print(line, file=sys.stderr if args.json else sys.stdout, flush=True)

    with tempfile.TemporaryDirectory(prefix="museion-load-") as tmp:
        report = benchmark(args, Path(tmp), say)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        lost = report["stored_predictions"]
        say(f"stored predictions: {lost['answered']} answered, {lost['in_history']} in the history "
            f"(lost {lost['lost']}); healthy after: {report['healthy_after']}")  # fmt: skip
    ok = report["stored_predictions"]["lost"] == 0 and report["healthy_after"] and report["server_alive"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
