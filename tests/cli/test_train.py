from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from museion.cli import cli
from tests.conftest import IMAGES
from tests.hostile import thin_pngs
from tests.media import make_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    images = IMAGES
    return make_dataset(tmp_path_factory.mktemp("ds"), images, ["owl.jpg", "parrot.jpg", "sunflower.bmp"], 2)


@pytest.fixture(scope="module")
def bundle(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "album.zip"
    result = CliRunner().invoke(cli, ["train", str(dataset), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["classes"] == ["owl", "parrot", "sunflower"]
    assert metrics["export_check"]["ok"] is True
    return out


def test_train_prints_readable_metrics(dataset: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["train", str(dataset), "--out", str(tmp_path / "b.zip"), "--fps", "1"])
    assert result.exit_code == 0, result.output
    assert "3 classes" in result.stdout
    assert "top-1 on calibration photos" in result.stdout
    assert "warning: too little to judge" in result.stdout  # one second of clip per work
    assert (tmp_path / "b.zip").is_file()


def test_predict_gives_labels_and_unknown(bundle: Path, images: Path) -> None:
    args = ["predict", "--bundle", str(bundle), "--json", str(images / "owl.jpg"), str(images / "pets.jpg")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    owl, pets = json.loads(result.stdout)
    assert owl["image"].endswith("owl.jpg")
    assert owl["unknown"] is False
    assert owl["predictions"][0]["label"] == "owl"
    assert set(owl["predictions"][0]) == {"label", "score"}
    assert pets["unknown"] is True


def test_predict_reports_a_bad_file_and_goes_on(bundle: Path, images: Path, videos: Path) -> None:
    args = ["predict", "--bundle", str(bundle), str(videos / "not_a_video.mp4"), str(images / "parrot.jpg")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3
    assert "not an image" in result.stderr
    assert "parrot" in result.stdout


def test_train_needs_two_classes(tmp_path: Path, images: Path) -> None:
    make_dataset(tmp_path / "one", images, ["owl.jpg"], 1)
    result = CliRunner().invoke(cli, ["train", str(tmp_path / "one"), "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 1
    assert "at least two class folders" in result.stderr
    assert not (tmp_path / "x.zip").exists()


def test_predict_refuses_a_file_that_is_not_a_bundle(images: Path) -> None:
    result = CliRunner().invoke(
        cli, ["predict", "--bundle", str(images / "owl.jpg"), str(images / "owl.jpg")]
    )
    assert result.exit_code == 1
    assert "not a Museion bundle" in result.stderr
    assert "Traceback" not in result.output


def test_predict_and_train_take_thin_pictures_in_moments(bundle: Path, dataset: Path, tmp_path: Path) -> None:
    """A 100000x1 or 1x20000 PNG: bounded by the model's input size, not scaled up whole first."""
    paths = []
    for name, data in thin_pngs().items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["predict", "--bundle", str(bundle), "--json", *paths])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == len(paths)
    assert time.monotonic() - started < 10
    thin_set = tmp_path / "thin-set"
    shutil.copytree(dataset, thin_set)
    for path in paths:
        shutil.copy(path, thin_set / "owl")
    trained = CliRunner().invoke(cli, ["train", str(thin_set), "--out", str(tmp_path / "t.zip"), "--json"])
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["export_check"]["ok"] is True


def test_a_classs_info_json_carries_its_card_in_other_languages_into_labels_json(
    tmp_path: Path, images: Path
) -> None:
    root = make_dataset(tmp_path / "ds", images, ["owl.jpg", "parrot.jpg"], 1)
    info = {"title": "Owl", "translations": {"zh_Hans": {"title": "猫头鹰"}, "fr": {"title": "Chouette"}}}
    (root / "owl" / "info.json").write_text(json.dumps(info), "utf-8")
    result = CliRunner().invoke(cli, ["train", str(root), "--out", str(tmp_path / "b.zip"), "--fps", "1"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        owl = json.loads(zf.read("labels.json"))[0]
    assert owl["translations"] == {
        "fr": {"title": "Chouette", "description": ""},
        "zh-hans": {"title": "猫头鹰", "description": ""},
    }


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("{not json", "info.json is not JSON text"),
        ('["Owl"]', "info.json must be an object"),
        ('{"translations": ["fr"]}', "info.json's translations must be"),
        ('{"translations": {"english!": {"title": "Owl"}}}', "info.json's translations: “english!” is not"),
    ],
)
def test_a_broken_info_json_is_reported_and_the_class_keeps_its_folders_name(
    tmp_path: Path, images: Path, text: str, said: str
) -> None:
    root = make_dataset(tmp_path / "ds", images, ["owl.jpg", "parrot.jpg"], 1)
    (root / "owl" / "info.json").write_text(text, "utf-8")
    result = CliRunner().invoke(cli, ["train", str(root), "--out", str(tmp_path / "b.zip"), "--fps", "1"])
    assert result.exit_code == 3, result.output  # bad input, and the bundle made from the rest
    assert f"{root / 'owl' / 'info.json'}: {said}" in result.stderr
    assert "Traceback" not in result.output
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        assert json.loads(zf.read("labels.json"))[0]["title"] == ""
