"""`make run`'s variables reach `museion serve` as options it takes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.web.test_deploy import parse_as_museion

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def serve_argv(*variables: str) -> list[str]:
    """The serve command `make run` would run with these variables (make -n runs nothing)."""
    command = ["make", "-n", "run", *variables]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    # Before it, make may print the steps of what is out of date (the venv, the web runtime).
    (line,) = [line for line in done.stdout.splitlines() if "/museion serve" in line]
    words = line.split()
    return ["museion", *words[words.index("serve") :]]


def test_make_run_passes_the_port_host_and_certificate_to_serve(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.touch()
    key.touch()
    argv = serve_argv("PORT=8443", "HOST=0.0.0.0", f"CERTFILE={cert}", f"KEYFILE={key}")
    assert argv == ["museion", "serve", "--host", "0.0.0.0", "--port", "8443", "--certfile", str(cert),
                    "--keyfile", str(key)]  # fmt: skip
    parse_as_museion(argv)


def test_plain_make_run_serves_on_the_defaults() -> None:
    assert serve_argv() == ["museion", "serve"]
