"""Hostile uploads against a real `museion serve`: the web process's memory, watched from /proc
while the files are sent 8 at a time, and refusals that a plain http.client can read back.

The memory budget (README, "Limits"): a request within the limits costs the web process at
most about 4 bytes per pixel of the largest picture allowed (MUSEION_MAX_IMAGE_PIXELS, 200 MB
at the default 50 MP), since big decodes take turns; what a request does not keep is given
back once it is answered.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from museion.web.middleware import LINGER_SECONDS
from tests.conftest import IMAGES
from tests.hostile import gif_bomb, lying_zip_bomb, pixel_limit_png, ten_hour_clip, thin_pngs, zip_bomb
from tests.media import render_clip
from tests.processes import Server, descendants, multipart

MB = 1024 * 1024
AT_ONCE = 8
BUDGET_MB = 200  # peak growth over the steady state, whatever is in flight
SMALL_MB = 40  # for files refused or decoded small: nothing of theirs grows
GIVEN_BACK_MB = 30  # how far above the steady state the process may stay afterwards
UPLOAD_MB = 20  # MUSEION_MAX_UPLOAD_MB's default
SEND_TIMEOUT_S = 120


@dataclass
class Site:
    server: Server
    worker: int  # the gunicorn worker: the process that holds the application
    token: str
    media: str  # the upload path of a class

    def rss_mb(self, field: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.worker}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise AssertionError(f"no {field} in /proc/{self.worker}/status")

    def reset_peak(self) -> None:
        Path(f"/proc/{self.worker}/clear_refs").write_text("5")  # VmHWM back to the current RSS

    def json(self, path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        status, _, answer = self.server.request("POST", path, json.dumps(body).encode(), headers)
        assert status in (200, 201), answer
        return json.loads(answer)

    def send(self, path: str, field: str, name: str, data: bytes) -> tuple[int, dict]:
        body, content_type = multipart((name, data), field)
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {self.token}"}
        # Big decodes take turns: on a busy 2-core machine the eighth waits a while.
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=SEND_TIMEOUT_S)
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read())
        finally:
            conn.close()

    def target(self, where: str) -> tuple[str, str]:
        return ("/api/v1/predict", "image") if where == "predict" else (self.media, "file")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    server = Server(
        tmp_path_factory.mktemp("hostile") / "home",
        ("--no-worker", "--threads", "4"),
        MUSEION_RATE_LIMIT_IP="0",
        MUSEION_RATE_LIMIT_USER="0",
        # Every request is served, none shed or held back: the worst case for memory.
        MUSEION_MAX_QUEUE_SECONDS="0",
        MUSEION_MAX_ZIPS_PER_USER="0",
        MUSEION_MAX_ZIPS_PER_WORKSPACE="0",
        MUSEION_MAX_VIDEO_JOBS_PER_USER="0",
        MUSEION_MAX_VIDEO_JOBS_PER_WORKSPACE="0",
    )
    try:
        server.wait_healthy()
        (worker,) = descendants(server.process.pid)
        site = Site(server, worker.pid, "", "")
        account = {"email": "owner@example.org", "password": "a hostile afternoon"}
        site.json("/api/v1/auth/signup", account)
        site.token = site.json("/api/v1/auth/token", account)["token"]
        album = site.json("/api/v1/albums", {"name": "Hostile"}, site.token)
        found = site.json(f"/api/v1/albums/{album['id']}/classes", {"name": "owl"}, site.token)
        site.media = f"/api/v1/albums/{album['id']}/classes/{found['id']}/media"
        photo = (IMAGES / "kite_and_cold.jpg").read_bytes()
        for _ in range(10):  # the steady state: models loaded, first requests served
            assert site.send(*site.target("predict"), "kite.jpg", photo)[0] == 200
            assert site.send(*site.target("media"), "kite.jpg", photo)[0] == 202
        yield site
    finally:
        server.close()


def peak_growth(
    site: Site, where: str, name: str, data: bytes
) -> tuple[float, float, list[tuple[int, dict]]]:
    """Send `data` AT_ONCE times at once: the peak and the lasting growth of the RSS, in MB."""
    time.sleep(0.2)
    steady = site.rss_mb()
    site.reset_peak()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        answers = list(pool.map(lambda _: site.send(*site.target(where), name, data), range(AT_ONCE)))
    return site.rss_mb("VmHWM") - steady, site.rss_mb() - steady, answers


@pytest.mark.parametrize("where", ["predict", "media"])
@pytest.mark.parametrize("name", sorted(thin_pngs()))
def test_thin_pictures_cost_the_server_almost_nothing(site: Site, where: str, name: str) -> None:
    """A 375-byte 100000x1 PNG once grew the process until the OOM killer ended it."""
    started = time.monotonic()
    peak, _, answers = peak_growth(site, where, name, thin_pngs()[name])
    assert time.monotonic() - started < 10
    assert peak < SMALL_MB, peak
    assert {status for status, _ in answers} == {200 if where == "predict" else 202}, answers[0]


def test_a_zip_bomb_is_refused_without_growing_the_server(site: Site) -> None:
    """One deflated 950 MB entry grew the process by 2 GB before its size was judged."""
    for name, data, reason in (
        ("bomb.zip", zip_bomb(), "the limit is 50.0 MB"),
        ("liar.zip", lying_zip_bomb(), "cannot be read"),
    ):
        peak, _, answers = peak_growth(site, "media", name, data)
        assert peak < SMALL_MB, (name, peak)
        for status, answer in answers:
            assert status == 202
            assert answer["items"] == []
            assert reason in answer["problems"][0]["reason"]


def noise_png(megabytes: float) -> bytes:
    """A picture that does not compress: the body is as big as the pixels."""
    side = int((megabytes * 1e6 / 3) ** 0.5)
    pixels = np.random.default_rng(7).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def test_every_upload_path_stays_within_the_memory_budget(site: Site) -> None:
    """The hostile set, each file 8 at a time, on every upload path: predict, album media,
    zip, video. The heaviest, a 49 MP picture, peaked at +750 MB before decodes took turns."""
    hostile = [
        ("predict", "bomb.gif", gif_bomb(), 413),
        ("media", "bomb.gif", gif_bomb(), 413),
        ("media", "ten-hours.mp4", ten_hour_clip(), 413),
        ("media", "bomb.zip", zip_bomb(), 202),
        ("predict", "49mp.png", pixel_limit_png(), 200),
        ("media", "49mp.png", pixel_limit_png(), 202),
        ("media", "49mp.zip", _zip_of({f"{i}.png": pixel_limit_png() for i in range(2)}), 202),
        ("predict", "noise.png", noise_png(UPLOAD_MB * 0.9), 200),
        ("media", "clip.mp4", render_clip(Image.open(IMAGES / "owl.jpg"), 4), 202),
    ]
    measured = {}
    for where, name, data, expected in hostile:
        peak, lasting, answers = peak_growth(site, where, name, data)
        measured[(where, name)] = round(peak)
        assert {status for status, _ in answers} == {expected}, (where, name, answers[0])
        assert peak <= BUDGET_MB, measured
        assert lasting <= GIVEN_BACK_MB, (where, name, lasting)
    print("peak growth, MB:", measured)


def _zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_an_upload_over_the_limit_is_read_back_as_413_by_http_client(site: Site) -> None:
    """http.client sends the whole body before reading: it got "Broken pipe" instead of the 413."""
    body = b"x" * (UPLOAD_MB + 5) * 1_000_000
    headers = {"Content-Type": "multipart/form-data; boundary=x", "Authorization": f"Bearer {site.token}"}
    conn = http.client.HTTPConnection("127.0.0.1", site.server.port, timeout=30)
    try:
        for path in ("/api/v1/predict", site.media):
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            answer = json.loads(response.read())
            assert response.status == 413
            assert answer["error"]["code"] == "too_large"
            assert "20 MB" in answer["error"]["message"]
        conn.request("GET", "/api/v1/health")  # the body was read off: the connection goes on
        assert conn.getresponse().status == 200
    finally:
        conn.close()


def raw_request(site: Site, head: str, body: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", site.server.port), timeout=30)
    sock.sendall(head.encode() + body)
    return sock


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_expect_100_continue_gets_the_413_instead_of_a_go_ahead(site: Site) -> None:
    length = (UPLOAD_MB + 5) * 1_000_000
    sock = raw_request(
        site,
        f"POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\nExpect: 100-continue\r\n\r\n",
    )
    try:
        started = time.monotonic()
        answer = read_all(sock)  # the server closes after answering: nothing more is read
        assert time.monotonic() - started < 2
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert b"100 Continue" not in answer
    assert b'"too_large"' in answer


def test_a_slow_client_holds_a_thread_no_longer_than_the_linger_time(site: Site) -> None:
    """It declares 25 MB and sends a byte now and then: the thread goes back to work after
    LINGER_SECONDS, and the server answers others meanwhile."""
    length = (UPLOAD_MB + 5) * 1_000_000
    slow = [
        raw_request(
            site,
            f"POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Length: {length}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n\r\n",
            b"x",
        )
        for _ in range(4)  # as many as the server has threads
    ]
    started = time.monotonic()
    try:
        answers = [s.recv(4096) for s in slow]  # the 413 comes before the lingering
        assert all(a.startswith(b"HTTP/1.1 413 ") for a in answers), answers
        closed = set()
        while len(closed) < len(slow) and time.monotonic() - started < LINGER_SECONDS + 8:
            for i, sock in enumerate(slow):
                if i in closed:
                    continue
                try:
                    sock.sendall(b"x")
                    sock.settimeout(0.1)
                    if sock.recv(4096) == b"":
                        closed.add(i)
                except TimeoutError:
                    pass
                except OSError:  # reset: closed by the server
                    closed.add(i)
            time.sleep(0.2)
        assert len(closed) == len(slow)
        assert time.monotonic() - started < LINGER_SECONDS + 8
        status, _, _ = site.server.request("GET", "/api/v1/health")
        assert status == 200
    finally:
        for sock in slow:
            sock.close()


def test_a_form_without_a_boundary_is_400_on_the_running_server(site: Site) -> None:
    for path in ("/api/v1/predict", "/api/v1/v/anything/predict", site.media):
        status, _, answer = site.server.request(
            "POST", path, b"--x\r\n" * 1000, {"Content-Type": "multipart/form-data"}
        )
        assert status == 400, answer
        assert json.loads(answer)["error"]["code"] == "bad_multipart"
