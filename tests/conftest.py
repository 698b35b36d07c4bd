"""Test-wide setup: real models from the shared mirror, a throwaway home.

Nothing here downloads: the model catalog finds its files in the mirror folder
(`MUSEION_MODEL_MIRROR`, default `../shared/models` beside the checkout), as an
offline operator's would.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MUSEION_SHARED", ROOT.parent / "shared"))
IMAGES = SHARED / "images"
VIDEOS = SHARED / "videos"
MODELS = SHARED / "models"

os.environ.setdefault("MUSEION_MODEL_MIRROR", str(MODELS))
os.environ["MUSEION_HOME"] = tempfile.mkdtemp(prefix="museion-test-home-")
os.environ.pop("MUSEION_MODEL_DIR", None)


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (MODELS / "mobilenetv2-12-int8.onnx").is_file():
        raise pytest.UsageError(
            f"the shared model mirror is missing at {MODELS}; set MUSEION_SHARED to the shared folder"
        )


@pytest.fixture
def images() -> Path:
    return IMAGES


@pytest.fixture
def videos() -> Path:
    return VIDEOS


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty MUSEION_HOME for tests that write to the model cache."""
    monkeypatch.setenv("MUSEION_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MUSEION_MODEL_DIR", raising=False)
    return tmp_path / "home"
