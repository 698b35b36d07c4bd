"""Importing your own ONNX models: the checks, the registry, and the models at work."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from museion.config import settings
from museion.vision import classify, detect, embed
from museion.vision.catalog import Catalog, InputSpec
from museion.vision.errors import InvalidModel, UnknownModel
from museion.vision.importer import import_model, read_labels, remove_model
from museion.vision.runtime import clear_sessions

MOBILENET_INPUT = InputSpec(
    name="", size=(224, 224), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225), resize_short=256
)
YOLOX_INPUT = InputSpec(name="", size=(416, 416), color="BGR", scale=1.0, resize="letterbox")


@pytest.fixture(autouse=True)
def fresh_sessions(home: Path) -> None:
    """Every test imports into its own empty home, with no session left from another."""
    clear_sessions()


@pytest.fixture
def models(images: Path) -> Path:
    return images.parent / "models"


@pytest.fixture
def model_dir(home: Path) -> Path:
    return settings().model_dir


@pytest.fixture
def copy_of(models: Path, tmp_path: Path) -> Callable[[str], Path]:
    """A copy of a shared model file, so an import never touches the mirror."""

    def copy(file: str) -> Path:
        return Path(shutil.copyfile(models / file, tmp_path / f"copy-{file}"))

    return copy


@pytest.fixture
def imagenet_labels(models: Path) -> tuple[str, ...]:
    return read_labels(models / "imagenet_classes.txt")


@pytest.fixture
def tiny_embedder(tmp_path: Path) -> Path:
    """Float [N, 3, 32, 32] in, the mean of each channel [N, 3] out."""
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["pixels"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["features"]),
        ],
        "tiny-embedder",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = tmp_path / "tiny.onnx"
    onnx.save(model, path)
    return path


def test_it_reads_one_label_a_line(imagenet_labels: tuple[str, ...]) -> None:
    assert len(imagenet_labels) == 1000
    assert imagenet_labels[88] == "macaw"


def test_it_registers_a_classifier_that_then_classifies(
    copy_of: Callable[[str], Path], imagenet_labels: tuple[str, ...], model_dir: Path, images: Path
) -> None:
    spec = import_model(
        copy_of("mobilenetv2-12-int8.onnx"), name="mine", task="classify", input=MOBILENET_INPUT,
        labels=imagenet_labels,
    )  # fmt: skip

    assert Catalog().get("mine") == spec
    assert spec.input.name == "input"
    assert (model_dir / "mine.onnx").is_file()
    assert classify(images / "parrot.jpg", "mine")[0].label == "macaw"


def test_it_forgets_a_removed_model(
    copy_of: Callable[[str], Path], imagenet_labels: tuple[str, ...], model_dir: Path, images: Path
) -> None:
    spec = import_model(
        copy_of("mobilenetv2-12-int8.onnx"), name="mine", task="classify", labels=imagenet_labels
    )

    assert remove_model(spec) == model_dir / "mine.onnx"
    assert not (model_dir / "mine.onnx").exists()
    with pytest.raises(UnknownModel, match="no model named 'mine'"):
        Catalog().get("mine")
    with pytest.raises(UnknownModel):
        classify(images / "parrot.jpg", "mine")


def test_it_refuses_a_file_that_is_not_onnx(
    videos: Path, imagenet_labels: tuple[str, ...], model_dir: Path
) -> None:
    with pytest.raises(InvalidModel, match="not a usable ONNX model"):
        import_model(videos / "not_a_video.mp4", name="text", task="classify", labels=imagenet_labels)

    assert Catalog().imported() == {}
    assert not model_dir.exists() or list(model_dir.iterdir()) == []


def test_it_refuses_labels_of_the_wrong_length_and_keeps_no_file(
    copy_of: Callable[[str], Path], imagenet_labels: tuple[str, ...], model_dir: Path
) -> None:
    with pytest.raises(InvalidModel, match="1000 scores but 999 labels"):
        import_model(
            copy_of("mobilenetv2-12-int8.onnx"), name="short", task="classify", labels=imagenet_labels[:-1]
        )

    assert Catalog().imported() == {}
    assert list(model_dir.iterdir()) == []


def test_a_refused_import_leaves_an_earlier_one_of_the_same_name_working(
    copy_of: Callable[[str], Path], imagenet_labels: tuple[str, ...], images: Path
) -> None:
    path = copy_of("mobilenetv2-12-int8.onnx")
    first = import_model(path, name="mine", task="classify", input=MOBILENET_INPUT, labels=imagenet_labels)

    with pytest.raises(InvalidModel):
        import_model(path, name="mine", task="classify", labels=imagenet_labels[:10])

    assert Catalog().get("mine") == first
    assert classify(images / "parrot.jpg", "mine")[0].label == "macaw"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("imagenet-mobilenetv2", "built-in model name"),
        ("coco-yolox-nano", "built-in model name"),
        ("mobilenetv2-12-int8", "file name of a built-in model"),
        ("../escape", "only letters, digits"),
        ("", "only letters, digits"),
    ],
)
def test_it_refuses_a_name_that_is_taken_or_unsafe(
    copy_of: Callable[[str], Path], imagenet_labels: tuple[str, ...], model_dir: Path, name: str, reason: str
) -> None:
    with pytest.raises(InvalidModel, match=reason):
        import_model(copy_of("mobilenetv2-12-int8.onnx"), name=name, task="classify", labels=imagenet_labels)

    assert not model_dir.exists() or list(model_dir.iterdir()) == []


def test_it_refuses_a_classifier_without_labels(copy_of: Callable[[str], Path]) -> None:
    with pytest.raises(InvalidModel, match="needs --labels"):
        import_model(copy_of("mobilenetv2-12-int8.onnx"), name="mine", task="classify")


def test_it_registers_an_embedder_whose_rows_have_unit_length(tiny_embedder: Path, images: Path) -> None:
    spec = import_model(tiny_embedder, name="tiny", task="embed")

    assert spec.tasks == ("embed",)
    assert spec.input.size == (32, 32)
    assert spec.input.batch is True
    vectors = embed([images / "parrot.jpg", images / "cat.bmp"], model="tiny")
    assert vectors.shape == (2, 3)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert (vectors > 0).all()  # channel means of real photos
    assert not np.allclose(vectors[0], vectors[1])


def test_it_registers_a_yolox_detector_that_finds_the_dogs(
    copy_of: Callable[[str], Path], models: Path, images: Path
) -> None:
    spec = import_model(
        copy_of("yolox_nano.onnx"), name="my-yolox", task="detect", input=YOLOX_INPUT,
        labels=read_labels(models / "coco_classes.txt"), output_kind="yolox",
    )  # fmt: skip

    assert spec.input.batch is False
    found = detect(images / "pets.jpg", "my-yolox")
    assert [d.label for d in found].count("dog") >= 2


def test_it_refuses_a_detector_that_is_not_yolox(
    copy_of: Callable[[str], Path], models: Path, model_dir: Path
) -> None:
    with pytest.raises(InvalidModel, match="output-kind yolox"):
        import_model(
            copy_of("yolox_nano.onnx"), name="my-yolox", task="detect", input=YOLOX_INPUT,
            labels=read_labels(models / "coco_classes.txt"),
        )  # fmt: skip

    assert Catalog().imported() == {}
    assert not model_dir.exists() or list(model_dir.iterdir()) == []
