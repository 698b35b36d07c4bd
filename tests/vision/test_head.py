from __future__ import annotations

import io

import numpy as np
import pytest

from museion.vision.head import Example, Head, calibrate, evaluate, fit, split

CLASSES = ["a", "b", "c"]


def cluster(label: int, group: str, n: int, rng: np.random.Generator, order0: float = 0.0) -> list[Example]:
    centre = np.eye(8)[label]
    rows = centre + rng.normal(0, 0.15, (n, 8))
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return [
        Example(r.astype(np.float32), label, group, order0 + i * 0.5, f"{group}#{i}")
        for i, r in enumerate(rows)
    ]


@pytest.fixture
def examples() -> list[Example]:
    rng = np.random.default_rng(0)
    out = []
    for label in range(3):
        for clip in range(4):
            out += cluster(label, f"clip-{label}-{clip}", 6, rng)
    return out


def test_frames_of_one_clip_never_land_on_both_sides(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    assert {e.group for e in parts.train}.isdisjoint({e.group for e in parts.val})
    assert {e.label for e in parts.val} == {0, 1, 2}
    assert parts.by_time == []


def test_a_class_with_a_single_clip_is_cut_in_time() -> None:
    rng = np.random.default_rng(0)
    examples = cluster(0, "only", 8, rng) + cluster(1, "x", 4, rng) + cluster(1, "y", 4, rng)
    parts = split(examples, ["a", "b"], 0.25, seed=0)
    train_times = [e.order for e in parts.train if e.label == 0]
    val_times = [e.order for e in parts.val if e.label == 0]
    assert val_times
    assert max(train_times) < min(val_times)
    assert parts.by_time == ["a"]


def test_it_learns_separable_classes(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    metrics = evaluate(head, parts.val)
    assert metrics["accuracy"] == 1.0
    assert np.trace(np.array(metrics["confusion"])) == len(parts.val)
    assert metrics["per_class"]["a"]["recall"] == 1.0
    assert metrics["misclassified"] == []


def test_it_tells_two_classes_apart(examples: list[Example]) -> None:
    two = [e for e in examples if e.label < 2]
    parts = split(two, CLASSES[:2], 0.25, seed=1)
    head = fit(parts.train, CLASSES[:2])
    best, prob, _ = head.predict(np.stack([e.embedding for e in parts.val]))
    assert best.tolist() == [e.label for e in parts.val]
    assert prob.min() > 0.6


def test_it_needs_two_classes() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="two classes"):
        fit(cluster(0, "g", 5, rng), CLASSES)


def test_calibration_refuses_negatives_and_keeps_knowns(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    rng = np.random.default_rng(5)
    negatives = np.eye(8)[5:8] + rng.normal(0, 0.15, (3, 8))  # other directions entirely
    negatives = (negatives / np.linalg.norm(negatives, axis=1, keepdims=True)).astype(np.float32)
    result = calibrate(head, parts.val, negatives)
    assert result["knowns_kept"] == 1.0
    assert result["negatives_refused"] == 1.0
    _, _, unknown = head.predict(negatives)
    assert unknown.all()
    _, _, unknown = head.predict(np.stack([e.embedding for e in parts.val]))
    assert not unknown.any()


def test_without_negatives_it_keeps_nearly_all_held_out_knowns(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    result = calibrate(head, parts.val, None)
    _, _, unknown = head.predict(np.stack([e.embedding for e in parts.val]))
    assert result["negatives"] == 0
    assert 0 < unknown.mean() <= 0.1


def test_calibration_judges_knowns_by_their_views_when_there_are_some(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    clean = calibrate(head, parts.val, None)["threshold"]
    rng = np.random.default_rng(3)
    views = []
    for e in parts.val:  # harder pictures of the same works
        v = e.embedding + rng.normal(0, 0.2, e.embedding.shape)
        views.append(
            Example((v / np.linalg.norm(v)).astype(np.float32), e.label, e.group, e.order, e.ref, True)
        )
    assert calibrate(head, parts.val + views, None)["threshold"] < clean


def test_look_alike_negatives_never_make_it_refuse_most_knowns(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    look_alikes = np.stack([e.embedding for e in parts.val])  # negatives as close as the knowns themselves
    result = calibrate(head, parts.val, look_alikes)
    assert result["knowns_kept"] >= 0.85  # about 90%: the 10th percentile of 18 knowns


def test_a_head_read_back_from_its_bytes_answers_the_same(examples: list[Example]) -> None:
    head = fit(examples, CLASSES)
    calibrate(head, examples, None)
    again = Head.from_bytes(head.to_bytes())
    assert (again.classes, again.threshold) == (CLASSES, head.threshold)
    x = np.stack([ex.embedding for ex in examples])
    for ours, theirs in zip(head.predict(x), again.predict(x), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_head_stored_before_it_held_its_class_names_is_read_with_them(examples: list[Example]) -> None:
    head = fit(examples, CLASSES)
    buffer = io.BytesIO()  # how versions were stored before Head.to_bytes
    np.savez(buffer, weights=head.weights, bias=head.bias, prototypes=head.prototypes, threshold=0.5)
    again = Head.from_bytes(buffer.getvalue(), CLASSES)
    assert (again.classes, again.threshold) == (CLASSES, 0.5)
    np.testing.assert_array_equal(again.weights, head.weights)
    with pytest.raises(ValueError, match="3 classes, 2 names"):
        Head.from_bytes(buffer.getvalue(), CLASSES[:2])
