"""The vision core's refusals said again in the reader's language, figures and names kept."""

# ruff: noqa: F401, F811 (the fixtures come from test_fetch)
from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import translation

from museion.config import Settings
from museion.http.vision_messages import translated
from museion.vision.bundle import Bundle
from museion.vision.catalog import ModelSpec
from museion.vision.errors import InvalidModel, ModelUnavailable
from museion.vision.fetch import fetch
from tests.vision.test_fetch import closed_port, config, make_spec, no_proxy


@pytest.mark.parametrize(
    ("lang", "start", "advice"),
    [
        ("fr", "impossible de télécharger 'test-", "Sans accès à internet"),
        ("de", "'test-", "kann nicht von http://127.0.0.1:"),
        ("zh-hans", "无法从 http://127.0.0.1:", "没有互联网时"),
    ],
)
def test_an_offline_servers_download_advice_is_in_the_readers_language(
    closed_port: int,
    config: Settings,
    make_spec: Callable[..., ModelSpec],
    lang: str,
    start: str,
    advice: str,
) -> None:
    spec = make_spec(f"http://127.0.0.1:{closed_port}/test.onnx", "0" * 64)
    with pytest.raises(ModelUnavailable) as caught:
        fetch(spec, config)
    with translation.override(lang):
        said = translated(str(caught.value))
    assert said.startswith(start), said
    assert advice in said
    assert "MUSEION_MODEL_MIRROR" in said
    assert "test.onnx" in said
    assert "ConnectionError" in said


def test_a_file_that_is_no_bundle_is_said_so_in_german(tmp_path: Path) -> None:
    path = tmp_path / "album.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(InvalidModel) as caught:
        Bundle.load(path)
    with translation.override("de"):
        assert translated(str(caught.value)).startswith("kein Museion-Paket: ")
