from __future__ import annotations

import io

import numpy as np
import pytest

from museion.vision.head import (
    GAP_SHARE,
    PROTOTYPES_PER_CLASS,
    UNKNOWNS_REFUSED,
    Example,
    Head,
    Probe,
    calibrate,
    equal_error_threshold,
    evaluate,
    fit,
    operating_threshold,
    reference_refs,
    score_probes,
    split,
)
from museion.vision.keypoints import Keypoints

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


def probes_of(examples: list[Example], noise: float, seed: int) -> list[tuple[Example, Probe]]:
    """Calibration photos: each picture's embedding moved a little, with no keypoints."""
    rng = np.random.default_rng(seed)
    out = []
    for ex in examples:
        v = ex.embedding + rng.normal(0, noise, ex.embedding.shape)
        out.append((ex, Probe((v / np.linalg.norm(v)).astype(np.float32), NO_KEYPOINTS, "angle")))
    return out


NO_KEYPOINTS = Keypoints.none()


def test_it_learns_separable_classes(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    scored = score_probes(head, probes_of(parts.val, 0.05, 0))
    calibrate(head, scored)
    metrics = evaluate(head, scored)
    assert metrics["accuracy"] == 1.0
    assert np.trace(np.array(metrics["confusion"])) == len(parts.val)
    assert metrics["per_class"]["a"]["recall"] == 1.0
    assert metrics["per_condition"]["angle"]["photos"] == len(parts.val)
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


def test_prototypes_cover_a_class_rather_than_repeat_its_commonest_view() -> None:
    rng = np.random.default_rng(0)
    common = cluster(0, "front", 200, rng)  # many near-copies of one view
    side = np.eye(8)[3] * 0.6 + np.eye(8)[0] * 0.8  # and one picture from another angle
    rare = [Example(side.astype(np.float32), 0, "side", 0.0, "side#0")]
    head = fit(common + rare + cluster(1, "b", 5, rng), CLASSES[:2])

    assert head.prototypes.shape == (2, PROTOTYPES_PER_CLASS, 8)
    assert head.similarity(side[None].astype(np.float32))[0, 0] == pytest.approx(1.0, abs=1e-6)


def test_calibration_refuses_works_left_out_and_keeps_knowns(examples: list[Example]) -> None:
    parts = split(examples, CLASSES, 0.25, seed=1)
    head = fit(parts.train, CLASSES)
    rng = np.random.default_rng(5)
    negatives = np.eye(8)[5:8] + rng.normal(0, 0.15, (3, 8))  # other directions entirely
    negatives = (negatives / np.linalg.norm(negatives, axis=1, keepdims=True)).astype(np.float32)
    scored = score_probes(head, probes_of(parts.val, 0.05, 0))
    result = calibrate(head, scored, negatives)

    assert result["negatives"] == 3
    metrics = evaluate(head, scored, negatives)
    assert metrics["known_refused"] == 0.0
    assert metrics["unknown_refused"] == 1.0
    assert head.predict(negatives)[2].all()
    assert not head.predict(np.stack([e.embedding for e in parts.val]))[2].any()


def test_the_threshold_lies_in_the_middle_of_the_gap_not_at_its_edge() -> None:
    threshold = equal_error_threshold(np.array([1.2, 1.3, 1.4]), np.array([0.8, 0.9]))
    assert threshold == pytest.approx(1.05)


def test_a_threshold_balances_the_two_errors_when_they_overlap() -> None:
    positives, negatives = np.array([0.7, 1.0, 1.3]), np.array([0.6, 0.8, 0.9])
    threshold = equal_error_threshold(positives, negatives)
    assert (positives < threshold).mean() == pytest.approx(1 / 3)
    assert (negatives >= threshold).mean() == pytest.approx(1 / 3)


def test_without_calibration_photos_it_says_so(examples: list[Example]) -> None:
    head = fit(examples, CLASSES)
    assert calibrate(head, [])["basis"] == "no calibration photos: too little to judge"
    assert evaluate(head, []) == {"accuracy": None, "validated": 0}


def test_references_are_spread_over_each_work(examples: list[Example]) -> None:
    refs = reference_refs(examples, per_class=4)
    assert len(refs) == 12
    chosen = {ex.ref: ex for ex in examples if ex.ref in refs}
    for label in range(3):
        assert len({ex.group for ex in chosen.values() if ex.label == label}) == 4  # one per clip


def test_a_head_read_back_from_its_bytes_answers_the_same(examples: list[Example]) -> None:
    keypoints = {ex.ref: Keypoints(np.ones((9, 2), np.float32) * i, np.full((9, 128), i, np.uint8))
                 for i, ex in enumerate(examples[:6])}  # fmt: skip
    head = fit(examples, CLASSES, keypoints)
    head.threshold, head.global_threshold = 1.1, 0.7
    again = Head.from_bytes(head.to_bytes())

    assert (again.classes, again.threshold, again.global_threshold) == (CLASSES, 1.1, 0.7)
    assert again.references is not None
    assert len(again.references.keypoints) == 6
    for ours, theirs in zip(head.references.keypoints, again.references.keypoints, strict=True):
        np.testing.assert_array_equal(ours.descriptors, theirs.descriptors)
    x = np.stack([ex.embedding for ex in examples])
    for ours, theirs in zip(head.predict(x), again.predict(x), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_head_stored_before_keypoints_is_read_with_its_threshold_as_global(examples: list[Example]) -> None:
    head = fit(examples, CLASSES)
    buffer = io.BytesIO()  # how versions were stored before: a logistic head and one threshold
    np.savez(buffer, weights=np.zeros((3, 8)), bias=np.zeros(3), prototypes=head.prototypes, threshold=0.5)
    again = Head.from_bytes(buffer.getvalue(), CLASSES)

    assert (again.classes, again.threshold, again.global_threshold) == (CLASSES, 0.5, 0.5)
    assert again.references is None
    with pytest.raises(ValueError, match="3 classes, 2 names"):
        Head.from_bytes(buffer.getvalue(), CLASSES[:2])


def test_a_probe_survives_a_round_trip() -> None:
    probe = Probe(
        np.arange(8, dtype=np.float32),
        Keypoints(np.ones((3, 2), np.float32), np.ones((3, 128), np.uint8)),
        "dim",
    )
    again = Probe.from_bytes(probe.to_bytes())
    assert again.condition == "dim"
    np.testing.assert_array_equal(again.embedding, probe.embedding)
    np.testing.assert_array_equal(again.keypoints.points, probe.keypoints.points)


def test_where_the_calibration_separates_them_the_threshold_sits_nearer_the_unknowns() -> None:
    positives, negatives = np.array([1.2, 1.3, 1.4]), np.array([0.8, 0.9])
    threshold = operating_threshold(positives, negatives)
    assert threshold == pytest.approx(0.9 + GAP_SHARE * 0.3)
    assert 0.9 < threshold < equal_error_threshold(positives, negatives)  # gallery photos score lower


def test_where_knowns_and_unknowns_overlap_it_refuses_the_target_share_of_unknowns() -> None:
    rng = np.random.default_rng(0)
    positives, negatives = rng.normal(1.3, 0.08, 200), rng.normal(1.0, 0.1, 200)
    threshold = operating_threshold(positives, negatives)
    assert (negatives < threshold).mean() >= UNKNOWNS_REFUSED
    assert (negatives < threshold).mean() < UNKNOWNS_REFUSED + 0.01  # no more knowns refused than it needs
    assert threshold <= equal_error_threshold(positives, negatives)


def test_the_keypoint_check_names_the_work_and_stops_once_no_other_can_win() -> None:
    import cv2
    from PIL import Image

    from museion.vision.keypoints import extract
    from tests.conftest import IMAGES

    names = ["kite_and_cold.jpg", "pets.jpg", "owl.jpg", "parrot.jpg", "hot_dog.jpg", "face.jpg"]
    pictures = [Image.open(IMAGES / n).convert("RGB") for n in names]
    examples = [Example(np.eye(8, dtype=np.float32)[i], i, n, 0.0, n) for i, n in enumerate(names)]
    head = fit(examples, names, {n: extract(p) for n, p in zip(names, pictures, strict=True)})
    w, h = pictures[0].size
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    seen = np.float32([[w * 0.1, h * 0.05], [w * 0.95, 0], [w * 0.85, h], [w * 0.05, h * 0.9]])
    matrix = cv2.getPerspectiveTransform(corners, seen)
    photo = Image.fromarray(cv2.warpPerspective(np.asarray(pictures[0]), matrix, (w, h)))

    similarity = np.full(len(names), 0.8, np.float32)  # the global stage cannot tell them apart
    similarity[0] = 0.81
    counted: dict[int, int] = {}
    fused = head.verified(examples[0].embedding, similarity, extract(photo), counted=counted)

    assert int(np.argmax(fused)) == 0
    assert fused[0] == pytest.approx(0.81 + 0.5)  # over INLIER_CAP inliers: the full bonus
    assert list(counted) == [0]  # no other work, even with a full bonus, could have passed 1.31
