from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from museion.vision.catalog import (
    BUILTIN,
    COCO_YOLOX_NANO,
    IMAGENET_MOBILENETV2,
    IMAGENET_MOBILENETV2_INT8,
    Catalog,
    InputSpec,
    ModelSpec,
)
from museion.vision.errors import InvalidModel, UnknownModel


def test_it_ships_a_classifier_and_a_detector_with_their_labels() -> None:
    assert BUILTIN["imagenet-mobilenetv2"].task == "classify"
    assert len(BUILTIN["imagenet-mobilenetv2"].labels) == 1000
    assert BUILTIN["coco-yolox-nano"].task == "detect"
    assert len(BUILTIN["coco-yolox-nano"].labels) == 80
    assert IMAGENET_MOBILENETV2.labels[88] == "macaw"
    assert COCO_YOLOX_NANO.labels[33] == "kite"


def test_builtin_entries_say_where_they_come_from() -> None:
    for spec in BUILTIN.values():
        source = BUILTIN[spec.derived_from] if spec.derived_from else spec
        assert str(source.url).startswith("https://")
        assert not source.derived_from
        assert spec.license == "Apache-2.0"
    assert COCO_YOLOX_NANO.sha256 == "c789161ed43c8269fcd4e67c67eeeb4e80c622da2eb296a20bc6007bd18a0b7d"


def test_the_default_classifier_is_the_float_model_made_from_the_int8_file() -> None:
    assert IMAGENET_MOBILENETV2.derived_from == IMAGENET_MOBILENETV2_INT8.name
    assert IMAGENET_MOBILENETV2.labels == IMAGENET_MOBILENETV2_INT8.labels
    assert IMAGENET_MOBILENETV2.input == IMAGENET_MOBILENETV2_INT8.input
    assert IMAGENET_MOBILENETV2.file != IMAGENET_MOBILENETV2_INT8.file


def test_a_classifier_with_an_embedding_also_embeds() -> None:
    assert IMAGENET_MOBILENETV2.tasks == ("classify", "embed")
    assert COCO_YOLOX_NANO.tasks == ("detect",)


@pytest.mark.parametrize(
    ("spec", "stored", "needed"),
    [
        (IMAGENET_MOBILENETV2.input, (4000, 3000), (342, 256)),
        (IMAGENET_MOBILENETV2.input, (3000, 4000), (256, 342)),
        (COCO_YOLOX_NANO.input, (4000, 3000), (416, 312)),
        (IMAGENET_MOBILENETV2.input, (100, 80), (100, 80)),
        (InputSpec(name="x", size=(64, 32), resize="stretch"), (640, 640), (64, 64)),
    ],
)
def test_decode_size_never_asks_for_less_than_preprocessing_uses(
    spec: InputSpec, stored: tuple[int, int], needed: tuple[int, int]
) -> None:
    assert spec.decode_size(*stored) == needed


def test_a_spec_survives_a_round_trip_through_json_data() -> None:
    for spec in BUILTIN.values():
        assert ModelSpec.from_dict(spec.to_dict()) == spec


def test_it_keeps_imported_models_in_the_model_dir(tmp_path: Path) -> None:
    catalog = Catalog(tmp_path)
    mine = replace(IMAGENET_MOBILENETV2, name="mine", file="mine.onnx")
    catalog.add(mine)
    again = Catalog(tmp_path)
    assert again.get("mine") == replace(mine, builtin=False)
    assert set(again.all()) == {"mine", *BUILTIN}
    again.discard("mine")
    with pytest.raises(UnknownModel, match="no model named 'mine'"):
        Catalog(tmp_path).get("mine")


def test_it_will_not_shadow_a_builtin(tmp_path: Path) -> None:
    with pytest.raises(InvalidModel, match="built-in"):
        Catalog(tmp_path).add(IMAGENET_MOBILENETV2)


def test_a_damaged_registry_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "registry.json").write_text("{not json")
    with pytest.raises(InvalidModel, match="registry"):
        Catalog(tmp_path).get("imagenet-mobilenetv2")
