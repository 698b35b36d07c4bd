"""onnxruntime-web's files as the server sends them: with COEP and CORP, so that the visitors' page
(cross-origin isolated) may start the runtime's threads, whose worker runs its .mjs. Without the
header the browser refuses the worker and the runtime waits for it for ever."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client

RUNTIME = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")

pytestmark = pytest.mark.skipif(
    not all(finders.find(f"museion/ort/{name}") for name in RUNTIME),
    reason="onnxruntime-web is not installed (make webruntime)",
)


@pytest.mark.parametrize("name", RUNTIME)
def test_the_runtimes_files_say_they_may_run_in_an_isolated_page(client: Client, name: str) -> None:
    response = client.get(static(f"museion/ort/{name}"))
    assert response.status_code == 200
    assert response["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_the_other_static_files_are_served_as_before(client: Client) -> None:
    response = client.get(static("museion/recognizer.js"))
    assert response.status_code == 200
    assert "Cross-Origin-Embedder-Policy" not in response
