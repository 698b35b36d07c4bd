from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from PIL import Image, ImageEnhance

from museion.vision.bundle import Bundle
from museion.vision.head import Head
from museion.vision.train import Dataset, TrainOptions, export, read_dataset, train
from tests.conftest import IMAGES
from tests.media import make_dataset

CLASSES = ["parrot.jpg", "owl.jpg", "sunflower.bmp", "dragonfly.bmp"]
UNKNOWNS = ["hot_dog.jpg", "grace_hopper.bmp", "kite_and_cold.jpg"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    images = IMAGES
    return read_dataset(make_dataset(tmp_path_factory.mktemp("ds"), images, CLASSES, seconds=3), fps=2)


@pytest.fixture(scope="module")
def trained(dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> tuple[Head, dict, Path]:
    images = IMAGES
    negatives = [Image.open(images / "pets.jpg"), Image.open(images / "face.jpg")]
    head, metrics = train(dataset, TrainOptions(views=3), negatives)
    path = tmp_path_factory.mktemp("out") / "bundle.zip"
    export(path, head, dataset, metrics, "imagenet-mobilenetv2")
    return head, metrics, path


def test_it_reads_one_class_per_folder_with_its_information(dataset: Dataset) -> None:
    assert [c.name for c in dataset.classes] == ["dragonfly", "owl", "parrot", "sunflower"]
    assert dataset.classes[1].title == "Owl"
    assert len(dataset.items) == 4 * 6  # 3 s at 2 fps per clip
    assert dataset.problems == []


def test_a_broken_file_is_listed_and_the_rest_goes_in(tmp_path: Path, images: Path, videos: Path) -> None:
    make_dataset(tmp_path, images, ["owl.jpg", "parrot.jpg"], seconds=1)
    (tmp_path / "owl" / "broken.mp4").write_bytes((videos / "truncated.mp4").read_bytes())
    (tmp_path / "owl" / "notes.jpg").write_text("not a photo")
    data = read_dataset(tmp_path, fps=2)
    assert len(data.problems) == 2
    assert len(data.items) == 4


def test_it_reports_metrics_on_phone_photos_of_held_out_frames(trained: tuple[Head, dict, Path]) -> None:
    _, metrics, _ = trained
    assert metrics["accuracy"] >= 0.9
    assert metrics["validated"] >= 4 * 2  # phone photos of each work's held-out frames
    assert metrics["known_refused"] <= 0.25
    assert metrics["unknown_refused"] >= 0.75  # the same photos with their work left out
    assert sum(c["photos"] for c in metrics["per_condition"].values()) == metrics["validated"]
    assert metrics["verification"] == "keypoints"
    assert metrics["verified_threshold"] > metrics["unknown_threshold"]  # inliers add to the similarity
    assert set(metrics["per_class"]) == {"dragonfly", "owl", "parrot", "sunflower"}
    assert np.array(metrics["confusion"]).shape == (4, 4)
    assert metrics["split_in_time"] == ["dragonfly", "owl", "parrot", "sunflower"]
    assert metrics["calibration"]["negatives"] == 2


def test_the_bundle_holds_model_labels_preprocessing_metrics_and_a_readme(
    trained: tuple[Head, dict, Path],
) -> None:
    _, _, path = trained
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {
            "model.onnx",
            "labels.json",
            "preprocess.json",
            "metrics.json",
            "README.md",
            "head.npz",
            "viewer/index.html",
            "viewer/recognizer.js",
        }
        labels = json.loads(zf.read("labels.json"))
        metrics = json.loads(zf.read("metrics.json"))
        session = ort.InferenceSession(zf.read("model.onnx"))
    assert [label["name"] for label in labels] == ["dragonfly", "owl", "parrot", "sunflower"]
    assert labels[2]["title"] == "Parrot"
    assert metrics["export_check"]["ok"] is True
    assert "unknown_threshold" in metrics
    (image,) = session.get_inputs()
    assert (image.name, image.type, image.shape[1:]) == ("image", "tensor(uint8)", [224, 224, 3])
    outputs = {o.name: o.shape for o in session.get_outputs()}
    assert outputs["probabilities"][1] == 4
    assert outputs["embedding"][1] == 1280


def test_the_bundle_recognises_visitor_photos_and_refuses_other_things(
    trained: tuple[Head, dict, Path], images: Path
) -> None:
    bundle = Bundle.load(trained[2])
    darker = ImageEnhance.Brightness(Image.open(images / "owl.jpg").convert("RGB")).enhance(0.6)
    crop = Image.open(images / "parrot.jpg").convert("RGB").crop((60, 150, 480, 800))
    known = bundle.predict([darker, crop])
    assert [r["predictions"][0]["label"] for r in known] == ["owl", "parrot"]
    assert not any(r["unknown"] for r in known)
    assert all(r["unknown"] for r in bundle.predict([images / n for n in UNKNOWNS]))


def test_bundle_and_server_path_agree(trained: tuple[Head, dict, Path], dataset: Dataset) -> None:
    from museion.vision.bundle import recognizer_input
    from museion.vision.catalog import IMAGENET_MOBILENETV2
    from museion.vision.embed import embed

    head, _, path = trained
    pictures = [item.image for item in dataset.items[::3]]
    server = head.scores(embed(pictures, IMAGENET_MOBILENETV2, input=recognizer_input(IMAGENET_MOBILENETV2)))[
        0
    ]
    bundle = Bundle.load(path)
    (exported,) = bundle.session.run(
        ["probabilities"], {"image": np.stack([bundle.pixels(p) for p in pictures])}
    )
    assert np.abs(server - exported).max() < 0.02
