"""Benchmark of `museion serve` over loopback HTTP, on this machine's CPU.

It starts `museion serve --no-worker` on a free 127.0.0.1 port with a
temporary MUSEION_HOME (rate limits off, since every request comes from one
address), waits for /api/v1/health, then measures:

1. the in-process ceiling: `classify(bytes)` (decode, preprocess, inference)
   of `kite_and_cold.jpg` (1352x900) on one thread per core sharing one
   session, MUSEION_THREADS=1, in a subprocess; likewise of a 12 MP copy, and
   `detect(bytes)`: the ceiling of each phase below;
2. `--clients` concurrent clients (threads, each with a persistent keep-alive
   `http.client.HTTPConnection`) posting the photo as multipart to
   /api/v1/predict, anonymously, `--requests` times in all: throughput,
   latency percentiles, errors, and the ratio to the ceiling; then the same
   with as many clients as cores (no queueing: the latency of one request);
3. the same with a 12 MP JPEG (the photo upscaled to 4000x3000 with Pillow);
4. resident memory of the server and its children (the sum of VmRSS, and of
   Pss, which counts the pages they share once) after a warm-up and as the
   requests served add up to `--memory-requests`: does it stay flat?
5. the same as 2 with the detector `coco-yolox-nano`.

Each phase alternates rounds of HTTP requests with rounds of the in-process
ceiling (never both at once), so that other work on a shared machine weighs
on both alike. CPU time is counted too: the server's (master and worker, from
/proc) and the ceiling's per image, and the clients' (this process) per
request. The clients run on the same cores as the server.

Run it from the repository root:

    .venv/bin/python benchmarks/serve.py            # about 3 minutes on 2 quiet cores
    .venv/bin/python benchmarks/serve.py --quick    # small counts: about a minute
    .venv/bin/python benchmarks/serve.py --threads 4 --museion-threads 1 --json
    .venv/bin/python benchmarks/serve.py --server-env MALLOC_ARENA_MAX=2

Model files come from MUSEION_MODEL_MIRROR (default `<repo>/../shared/models`);
nothing is written into the checkout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PHOTO = "kite_and_cold.jpg"
BIG_SIZE = (4000, 3000)
BIG_QUALITY = 90
CLASSIFIER = "imagenet-mobilenetv2"
DETECTOR = "coco-yolox-nano"
CORES = os.cpu_count() or 1
START_TIMEOUT_S = 180
REQUEST_TIMEOUT_S = 60
MEMORY_STEP = 1000  # requests between memory samples
FLAT_MB = 20  # "flat": grew by less than this after the warm-up
# Enough for the allocators (ONNX Runtime's arena, malloc's) to reach their working size at full concurrency.
WARM_UP = {"classify_small": 400, "classify_big": 100, "detect_small": 200}
TARGETS = {"ratio": 0.85, "p99_ms": 60.0, "memory_mb": 400.0}
QUICK = {"requests": 200, "big_requests": 100, "detect_requests": 100, "memory_requests": 1000, "round": 50}
TICK = os.sysconf("SC_CLK_TCK")
Say = Callable[[str], None]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = parser.add_argument
    add("--requests", type=int, default=1600, help="classify requests, 1352x900 photo (default 1600)")
    add("--big-requests", type=int, default=800, help="classify requests, 12 MP photo (default 800)")
    add("--detect-requests", type=int, default=800, help="detect requests, 1352x900 photo (default 800)")
    add("--memory-requests", type=int, default=10_000, help="requests served before the last memory sample")
    add("--round", type=int, default=200, help="requests per round, alternating with the ceiling's")
    add("--clients", type=int, default=8, help="concurrent HTTP clients (default 8)")
    add("--threads", type=int, help="`museion serve --threads` (default: its own)")
    add("--museion-threads", type=int, default=1, help="MUSEION_THREADS of the server (default 1)")
    add("--server-env", action="append", default=[], metavar="NAME=VALUE", help="more server environment")
    add(
        "--quick",
        action="store_true",
        help="small counts: " + ", ".join(f"{k} {v}" for k, v in QUICK.items()),
    )
    add("--json", action="store_true", help="print the figures as JSON")
    add("--photos", type=Path, default=REPO.parent / "shared" / "images", help=f"folder holding {PHOTO}")
    add("--ceiling-child", help=argparse.SUPPRESS)  # the subprocess of step 1
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    counts = (args.requests, args.big_requests, args.detect_requests, args.round, args.clients)
    if min(counts) < 1 or args.museion_threads < 1 or (args.threads is not None and args.threads < 1):
        parser.error("counts, --round, --clients and thread numbers must be at least 1")
    if any("=" not in item for item in args.server_env):
        parser.error("--server-env takes NAME=VALUE")
    return args


# --- 1. The in-process ceiling: a subprocess, so that its environment is right -------------------


def ceiling_child(spec: str) -> None:
    """Serve runs asked for on stdin: `{"run": NAME, "images": N}` -> `{"seconds": S, "cpu_s": C}`."""
    from museion.vision import classify, detect

    runs = {}
    for name, (model, path) in json.loads(spec).items():
        call = classify if model == CLASSIFIER else detect
        runs[name] = (lambda d, m=model, c=call: c(d, model=m), Path(path).read_bytes())
    with ThreadPoolExecutor(max_workers=CORES) as pool:
        for fn, data in runs.values():
            list(pool.map(fn, [data] * CORES * 2))  # warm-up: sessions, threads, allocator
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            ask = json.loads(line)
            fn, data = runs[ask["run"]]
            cpu, started = time.process_time(), time.perf_counter()
            list(pool.map(fn, [data] * ask["images"]))
            answer = {"seconds": time.perf_counter() - started, "cpu_s": time.process_time() - cpu}
            print(json.dumps(answer), flush=True)


class Ceiling:
    def __init__(self, runs: dict[str, tuple[str, str]], env: dict[str, str]) -> None:
        command = [sys.executable, __file__, "--ceiling-child", json.dumps(runs)]
        self.process = subprocess.Popen(command, env={**env, "MUSEION_THREADS": "1"}, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
        if json.loads(self._line()).get("ready") is not True:
            raise SystemExit("the ceiling subprocess did not start")

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the ceiling subprocess exited ({self.process.wait()})")
        return line

    def run(self, name: str, images: int) -> tuple[float, float]:
        """(seconds, CPU seconds) for `images` images of run `name`."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"run": name, "images": images}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self._line())
        return answer["seconds"], answer["cpu_s"]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(30)


# --- The server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kb(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


class Server:
    def __init__(self, env: dict[str, str], threads: int | None, log: Path) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "museion", "serve", "--no-worker", "--port", str(self.port)]
        if threads:
            command += ["--threads", str(threads)]
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
            )

    def wait_healthy(self) -> float:
        started = time.monotonic()
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                raise SystemExit(f"museion serve exited ({self.process.returncode}):\n{self.log.read_text()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/api/v1/health")
                if conn.getresponse().status == 200:
                    return time.monotonic() - started
            except OSError:
                time.sleep(0.2)
            finally:
                conn.close()
        raise SystemExit(f"museion serve did not answer within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def pids(self) -> list[int]:
        return [self.process.pid, *descendants(self.process.pid)]

    def cpu_s(self) -> float:
        """CPU seconds used so far by the server and its children."""
        ticks = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / TICK

    def memory(self) -> dict[str, Any]:
        """MB resident in the server and its children: the sum of VmRSS, and of Pss."""
        rss = pss = count = 0
        for pid in self.pids():
            try:
                rss += kb(Path(f"/proc/{pid}/status"), "VmRSS:")
                pss += kb(Path(f"/proc/{pid}/smaps_rollup"), "Pss:")
                count += 1
            except OSError:
                continue
        return {"processes": count, "rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)}


# --- 2, 3, 5. HTTP load ----------------------------------------------------------------------------


@dataclass
class Load:
    requests: int = 0
    seconds: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, of the successful requests
    errors: Counter = field(default_factory=Counter)

    def add(self, other: Load) -> None:
        self.requests += other.requests
        self.seconds += other.seconds
        self.server_cpu_s += other.server_cpu_s
        self.client_cpu_s += other.client_cpu_s
        self.latencies += other.latencies
        self.errors.update(other.errors)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1e3, 1)

    def summary(self) -> dict[str, Any]:
        lat = bool(self.latencies)
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "per_second": round(self.per_second, 1),
            "mean_ms": round(statistics.fmean(self.latencies) * 1e3, 1) if lat else None,
            **{f"p{q}_ms": self.percentile(q) if lat else None for q in (50, 95, 99)},
            "max_ms": round(max(self.latencies) * 1e3, 1) if lat else None,
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "server_cpu_ms": round(self.server_cpu_s * 1e3 / self.requests, 2),
            "client_cpu_ms": round(self.client_cpu_s * 1e3 / self.requests, 2),
        }


def multipart(data: bytes, filename: str, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]  # fmt: skip
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    )
    body = b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post(conn: http.client.HTTPConnection, body: bytes, content_type: str) -> tuple[int, bytes]:
    conn.request("POST", "/api/v1/predict", body=body, headers={"Content-Type": content_type})
    response = conn.getresponse()
    return response.status, response.read()


def run_load(server: Server, body: bytes, content_type: str, requests: int, clients: int) -> Load:
    """`requests` POSTs from `clients` threads, each on its own keep-alive connection.

    Each client first sends one request that is not counted (it opens the connection)."""
    result = Load(requests)
    tickets = iter(range(requests))
    lock = threading.Lock()
    ready = threading.Barrier(clients + 1)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
        try:
            post(conn, body, content_type)
        finally:
            ready.wait()
        while True:
            with lock:
                if next(tickets, None) is None:
                    break
            started = time.perf_counter()
            try:
                status, _ = post(conn, body, content_type)
            except (OSError, http.client.HTTPException) as exc:
                result.errors[type(exc).__name__] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
                continue
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors[f"HTTP {status}"] += 1
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu, server_cpu, started = time.process_time(), server.cpu_s(), time.perf_counter()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    result.server_cpu_s = server.cpu_s() - server_cpu
    result.client_cpu_s = time.process_time() - cpu
    return result


def check_answer(server: Server, body: bytes, content_type: str, key: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT_S)
    try:
        status, answer = post(conn, body, content_type)
    finally:
        conn.close()
    if status != 200:
        raise SystemExit(f"/api/v1/predict answered {status}: {answer[:500]!r}")
    items = json.loads(answer)[key]
    return items[0]["label"] if items else "(nothing)"


def phase(server: Server, ceiling: Ceiling, name: str, request: tuple[bytes, str], count: int,
          clients: int, round_size: int) -> dict[str, Any]:  # fmt: skip
    """`count` requests in rounds, each followed by as many images of the in-process ceiling."""
    load, ceiling_s, ceiling_cpu_s, done = Load(), 0.0, 0.0, 0
    while done < count:
        n = min(round_size, count - done)
        load.add(run_load(server, *request, n, clients))
        seconds, cpu_s = ceiling.run(name, n)
        ceiling_s, ceiling_cpu_s, done = ceiling_s + seconds, ceiling_cpu_s + cpu_s, done + n
    ceiling_rate = count / ceiling_s
    summary = load.summary()
    return {
        "clients": clients,
        **summary,
        "ceiling_per_s": round(ceiling_rate, 1),
        "ceiling_cpu_ms": round(ceiling_cpu_s * 1e3 / count, 2),
        "ratio": round(load.per_second / ceiling_rate, 3),
        "cpu_ratio": round(ceiling_cpu_s * 1e3 / count / summary["server_cpu_ms"], 3),
    }


# --- The run -----------------------------------------------------------------------------------------


def environment(home: Path, museion_threads: int, extra: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("MUSEION_MODEL_MIRROR", str(REPO.parent / "shared" / "models"))
    for name in ("MUSEION_MODEL_DIR", "DATABASE_URL", "MUSEION_SERVE_THREADS"):
        env.pop(name, None)
    env.update(
        MUSEION_HOME=str(home),
        MUSEION_THREADS=str(museion_threads),
        MUSEION_RATE_LIMIT_IP="0",  # every request comes from 127.0.0.1
        MUSEION_RATE_LIMIT_USER="0",
    )
    env.update(item.split("=", 1) for item in extra)
    return env


def make_big(photo: Path, folder: Path) -> Path:
    from PIL import Image

    path = folder / "kite_12mp.jpg"
    with Image.open(photo) as image:
        image.convert("RGB").resize(BIG_SIZE, Image.Resampling.BICUBIC).save(path, quality=BIG_QUALITY)
    return path


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def benchmark(args: argparse.Namespace, tmp: Path, say: Say) -> dict[str, Any]:
    env = environment(tmp / "home", args.museion_threads, args.server_env)
    small_path = args.photos / PHOTO
    big_path = make_big(small_path, tmp)
    small, big = small_path.read_bytes(), big_path.read_bytes()
    report: dict[str, Any] = {
        "machine": {"cpu": cpu_model(), "cores": CORES, "python": platform.python_version(),
                    "load_average_before": load_average()},
        "server": {"threads": args.threads or "default", "museion_threads": args.museion_threads,
                   "env": args.server_env, "clients": args.clients, "round": args.round},
        "inputs": {"small": f"{PHOTO} 1352x900, {len(small) / 1e6:.2f} MB",
                   "big": f"4000x3000 q{BIG_QUALITY}, {len(big) / 1e6:.2f} MB"},
    }  # fmt: skip
    runs = {"classify_small": (CLASSIFIER, str(small_path)), "classify_big": (CLASSIFIER, str(big_path)),
            "detect_small": (DETECTOR, str(small_path))}  # fmt: skip
    requests = {
        "classify_small": multipart(small, PHOTO, {"model": CLASSIFIER}),
        "classify_big": multipart(big, big_path.name, {"model": CLASSIFIER}),
        "detect_small": multipart(small, PHOTO, {"model": DETECTOR}),
    }
    ceiling = Ceiling(runs, env)
    server = Server(env, args.threads, tmp / "serve.log")
    try:
        report["server"]["start_s"] = round(server.wait_healthy(), 1)
        say(f"museion serve answered after {report['server']['start_s']} s on port {server.port}")
        report["labels"] = {
            "classify": check_answer(server, *requests["classify_small"], "predictions"),
            "detect": check_answer(server, *requests["detect_small"], "detections"),
        }
        served = 2
        for name, count in WARM_UP.items():
            run_load(server, *requests[name], count, args.clients)
            served += count + args.clients
        memory = [{"requests": served, **server.memory()}]
        say(f"warm-up: {fmt_memory(memory[0])}")

        phases: dict[str, Any] = {}
        plan = [("2. classify 1352x900", "classify_small", args.requests, args.clients),
                (f"2. classify 1352x900, {CORES} clients", "classify_small", args.requests // 4, CORES),
                ("3. classify 4000x3000", "classify_big", args.big_requests, args.clients),
                ("5. detect 1352x900", "detect_small", args.detect_requests, args.clients)]  # fmt: skip
        for title, name, count, clients in plan:
            key = name if clients == args.clients else f"{name}_{clients}_clients"
            say(f"{title}: {count} requests, {clients} clients, in rounds alternating with the ceiling ...")
            phases[key] = phase(server, ceiling, name, requests[name], count, clients, args.round)
            served += count + clients * -(-count // args.round)
            say(f"   {fmt_phase(phases[key])}")
            memory.append({"requests": served, **server.memory()})
        report["phases"] = phases
        report["memory"] = soak(server, requests["classify_small"], args, memory, served, say)
    finally:
        server.stop()
        ceiling.close()
    report["machine"]["load_average_after"] = load_average()
    report["targets"] = verdicts(report)
    return report


def soak(server: Server, request: tuple[bytes, str], args: argparse.Namespace, memory: list[dict[str, Any]],
         served: int, say: Say) -> dict[str, Any]:  # fmt: skip
    """4. Classify until `--memory-requests` requests were served, sampling memory."""
    say(f"4. memory: classify 1352x900 until {args.memory_requests} requests in all ...")
    soak_start = memory[-1]
    while served < args.memory_requests:
        count = min(MEMORY_STEP, args.memory_requests - served)
        load = run_load(server, *request, count, args.clients)
        served += count + args.clients
        memory.append({"requests": served, **server.memory(), "per_second": round(load.per_second, 1),
                       "errors": sum(load.errors.values())})  # fmt: skip
        say(f"   {fmt_memory(memory[-1])}")
    first, last = memory[0], memory[-1]
    growth = round(last["rss_mb"] - first["rss_mb"], 1)
    return {
        "samples": memory,
        "requests": served,
        "rss_growth_mb": growth,
        "pss_growth_mb": round(last["pss_mb"] - first["pss_mb"], 1),
        "soak_requests": last["requests"] - soak_start["requests"],
        "soak_rss_growth_mb": round(last["rss_mb"] - soak_start["rss_mb"], 1),
        "max_rss_mb": max(s["rss_mb"] for s in memory),
        "flat": growth < FLAT_MB,
    }


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    small, memory = report["phases"]["classify_small"], report["memory"]
    few = report["phases"][f"classify_small_{CORES}_clients"]
    # Little's law: with N clients always waiting for an answer, the mean latency is N / throughput.
    floor = round(1e3 * small["clients"] / small["per_second"], 1)
    return {
        "throughput_ratio": {"target": f">= {TARGETS['ratio']}", "value": small["ratio"],
                             "met": small["ratio"] >= TARGETS["ratio"]},
        "p99_ms": {"target": f"<= {TARGETS['p99_ms']} (mean latency >= {small['clients']} clients / "
                             f"throughput = {floor} ms)", "value": small["p99_ms"],
                   "met": small["p99_ms"] is not None and small["p99_ms"] <= TARGETS["p99_ms"]},
        f"p99_ms_{CORES}_clients": {"target": f"<= {TARGETS['p99_ms']} (no queueing)", "value": few["p99_ms"],
                                    "met": few["p99_ms"] is not None and few["p99_ms"] <= TARGETS["p99_ms"]},
        "memory_mb": {"target": f"< {TARGETS['memory_mb']} (VmRSS sum)", "value": memory["max_rss_mb"],
                      "met": memory["max_rss_mb"] < TARGETS["memory_mb"]},
        "memory_flat": {"target": f"grows < {FLAT_MB} MB", "value": memory["rss_growth_mb"],
                        "met": memory["flat"]},
    }  # fmt: skip


def fmt_phase(p: dict[str, Any]) -> str:
    return (
        f"{p['per_second']:.1f} req/s = {p['ratio']:.0%} of the ceiling's {p['ceiling_per_s']}/s; "
        f"latency p50 {p['p50_ms']}, p95 {p['p95_ms']}, p99 {p['p99_ms']}, max {p['max_ms']} ms; "
        f"errors {p['errors']}\n"
        f"   CPU per request: server {p['server_cpu_ms']} ms (ceiling {p['ceiling_cpu_ms']} ms per image: "
        f"{p['cpu_ratio']:.0%}), clients {p['client_cpu_ms']} ms"
    )


def fmt_memory(s: dict[str, Any]) -> str:
    rate = f", {s['per_second']} req/s" if "per_second" in s else ""
    return (
        f"{s['requests']:>6} requests: VmRSS {s['rss_mb']:.1f} MB, Pss {s['pss_mb']:.1f} MB "
        f"({s['processes']} processes){rate}"
    )


def print_report(report: dict[str, Any]) -> None:
    m, srv = report["machine"], report["server"]
    print(f"\nCPU: {m['cpu']} ({m['cores']} cores), Python {m['python']}; load average before "
          f"{m['load_average_before']}, after {m['load_average_after']}")  # fmt: skip
    print(f"server: museion serve --no-worker, --threads {srv['threads']}, MUSEION_THREADS "
          f"{srv['museion_threads']} {' '.join(srv['env'])}; started in {srv['start_s']} s")  # fmt: skip
    print(
        f"clients: {srv['clients']} keep-alive; rounds of {srv['round']} requests alternate with the ceiling"
    )
    print(f"inputs: {report['inputs']['small']}; {report['inputs']['big']}")
    print(f"answers: classify -> {report['labels']['classify']}, detect -> {report['labels']['detect']}")
    print(f"1. ceiling: classify/detect(bytes) on {m['cores']} threads, MUSEION_THREADS=1 (per phase below)")
    titles = {"classify_small": "2. classify 1352x900", f"classify_small_{CORES}_clients":
              f"2. classify 1352x900, {CORES} clients", "classify_big": "3. classify 4000x3000",
              "detect_small": "5. detect 1352x900"}  # fmt: skip
    for name, title in titles.items():
        if name in report["phases"]:
            print(f"{title}:\n   {fmt_phase(report['phases'][name])}")
    small, big = report["phases"]["classify_small"], report["phases"]["classify_big"]
    print(f"   12 MP vs 1352x900: throughput x{big['per_second'] / small['per_second']:.2f}, "
          f"server CPU per request x{big['server_cpu_ms'] / small['server_cpu_ms']:.2f}")  # fmt: skip
    memory = report["memory"]
    print("4. memory, server and children:")
    for sample in memory["samples"]:
        print(f"   {fmt_memory(sample)}")
    print(f"   VmRSS grew {memory['rss_growth_mb']} MB (Pss {memory['pss_growth_mb']} MB) after the warm-up: "
          f"{'flat' if memory['flat'] else 'NOT flat'}; {memory['soak_rss_growth_mb']} MB over the last "
          f"{memory['soak_requests']} requests (step 4)")  # fmt: skip
    print("targets:")
    for name, v in report["targets"].items():
        print(f"   {name:18} {v['value']!s:>6}  {'met' if v['met'] else 'MISSED':6}  target {v['target']}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.ceiling_child:
        ceiling_child(args.ceiling_child)
        return 0
    started = time.perf_counter()

    def say(line: str) -> None:
        if not args.json:
            print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="museion-bench-serve-") as tmp:
        report = benchmark(args, Path(tmp), say)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
        print(f"\n(total {report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
