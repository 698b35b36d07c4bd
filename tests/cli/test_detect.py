"""`museion detect`: the JSON contract, annotated pictures, and bad inputs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image, ImageChops

from museion.cli import cli

Run = Callable[..., Result]


@pytest.fixture
def run() -> Run:
    """Invoke `museion ARGS...`; anything but a clean exit would have been a traceback."""

    def invoke(*args: object) -> Result:
        result = CliRunner().invoke(cli, [str(a) for a in args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        assert "Traceback" not in result.output
        return result

    return invoke


@pytest.fixture
def pets(images: Path) -> Path:
    return images / "pets.jpg"


@pytest.fixture
def same_names(images: Path, tmp_path: Path) -> list[Path]:
    """pets.jpg and parrot.jpg, both called photo.jpg, in two folders."""
    copies = []
    for folder, source in (("a", "pets.jpg"), ("b", "parrot.jpg")):
        (tmp_path / folder).mkdir()
        copies.append(Path(shutil.copyfile(images / source, tmp_path / folder / "photo.jpg")))
    return copies


def test_it_prints_json_with_exactly_the_documented_keys_and_types(run: Run, images: Path) -> None:
    paths = [images / "pets.jpg", images / "kite_and_cold.jpg"]
    result = run("detect", *paths, "--threshold", 0.35, "--json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["image"] for r in data] == [str(p) for p in paths]
    for entry, path in zip(data, paths, strict=True):
        assert set(entry) == {"image", "model", "lang", "width", "height", "detections"}
        assert entry["model"] == "coco-yolox-nano"
        assert (entry["width"], entry["height"]) == Image.open(path).size
        assert entry["detections"]
        for d in entry["detections"]:
            assert set(d) == {"label", "label_en", "index", "score", "box"}
            assert type(d["label"]) is str
            assert type(d["index"]) is int
            assert type(d["score"]) is float
            assert 0.35 <= d["score"] <= 1.0
            assert len(d["box"]) == 4
            assert all(type(v) is float for v in d["box"])
        scores = [d["score"] for d in entry["detections"]]
        assert scores == sorted(scores, reverse=True)
    assert {"kite", "person"} <= {d["label"] for d in data[1]["detections"]}


def test_it_finds_both_dogs_with_boxes_inside_the_picture(run: Run, pets: Path) -> None:
    result = run("detect", pets, "--json")

    assert result.exit_code == 0
    (entry,) = json.loads(result.stdout)
    dogs = [d for d in entry["detections"] if d["label"] == "dog"]
    assert len(dogs) >= 2
    for d in dogs:
        x0, y0, x1, y1 = d["box"]
        assert 0 <= x0 < x1 <= entry["width"]
        assert 0 <= y0 < y1 <= entry["height"]


def test_it_prints_each_picture_and_its_finds_in_human_output(run: Run, pets: Path) -> None:
    result = run("detect", pets)

    assert result.exit_code == 0
    assert f"{pets} (512x430)" in result.stdout
    assert result.stdout.count("dog") >= 2


def test_it_writes_one_annotated_jpeg_per_input_even_with_the_same_file_name(
    run: Run, same_names: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out" / "annotated"
    result = run("detect", *same_names, "--out", out)

    assert result.exit_code == 0, result.stderr
    written = sorted(out.iterdir())
    assert len(written) == 2
    sizes = []
    for path in written:
        with Image.open(path) as image:
            assert image.format == "JPEG"
            image.load()
            sizes.append(image.size)
    assert sorted(sizes) == sorted(Image.open(p).size for p in same_names)


def test_it_draws_the_boxes_on_the_annotated_picture(run: Run, pets: Path, tmp_path: Path) -> None:
    result = run("detect", pets, "--out", tmp_path)

    assert result.exit_code == 0
    with Image.open(tmp_path / "pets.jpg") as annotated, Image.open(pets) as original:
        difference = np.asarray(ImageChops.difference(annotated.convert("RGB"), original.convert("RGB")))
    changed = int((difference.max(axis=2) > 60).sum())
    assert changed > 1000  # box outlines and label tags, not just JPEG noise


def test_it_reports_a_bad_input_and_still_gives_the_good_result(
    run: Run, pets: Path, videos: Path, tmp_path: Path
) -> None:
    text_file = videos / "not_a_video.mp4"
    result = run("detect", text_file, pets, "--json", "--out", tmp_path / "out")

    assert result.exit_code == 3
    assert str(text_file) in result.stderr
    assert "not an image" in result.stderr
    assert [r["image"] for r in json.loads(result.stdout)] == [str(pets)]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["pets.jpg"]


def test_it_stops_with_exit_1_when_the_output_folder_cannot_be_made(
    run: Run, pets: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run("detect", pets, "--out", blocker / "out")

    assert result.exit_code == 1
    assert str(blocker / "out") in result.stderr


def test_lang_gives_the_detections_in_chinese_with_the_english_beside(pets: Path) -> None:
    result = CliRunner().invoke(cli, ["detect", str(pets), "--json", "--lang", "zh-Hans"], env={"LANG": "C"})
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)[0]
    assert entry["lang"] == "zh-hans"
    assert {(d["label"], d["label_en"]) for d in entry["detections"]} == {("狗", "dog")}
