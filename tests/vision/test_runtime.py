from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from museion.vision import classify, load_model
from museion.vision.runtime import clear_sessions


def test_it_makes_one_session_per_model_and_reuses_it() -> None:
    first = load_model("imagenet-mobilenetv2")
    assert load_model("imagenet-mobilenetv2").session is first.session
    assert load_model("coco-yolox-nano").session is not first.session


def test_it_uses_the_thread_count_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSEION_THREADS", "1")
    clear_sessions()
    options = load_model("imagenet-mobilenetv2").session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1


def test_it_exposes_the_embedding_beside_the_classifier_output() -> None:
    outputs = {o.name for o in load_model("imagenet-mobilenetv2").session.get_outputs()}
    assert outputs == {"output", "embedding"}


def test_threads_sharing_a_session_get_the_same_answers(images: Path) -> None:
    data = {name: (images / name).read_bytes() for name in ("parrot.jpg", "cat_720p.jpg", "owl.jpg")}
    expected = {name: classify(blob) for name, blob in data.items()}
    jobs = [name for name in data for _ in range(12)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda name: (name, classify(data[name])), jobs))
    assert all(result == expected[name] for name, result in answers)
