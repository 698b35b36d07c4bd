"""`museion models`: list, pull, import and remove, against the real shared models."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from museion.cli import cli

Run = Callable[..., Result]

MOBILENET_INPUT = (
    "--size", 224, 224, "--mean", 0.485, 0.456, 0.406, "--std", 0.229, 0.224, 0.225,
    "--resize", "crop", "--resize-short", 256,
)  # fmt: skip
NAME = "my-mobilenet"


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
def models(images: Path) -> Path:
    return images.parent / "models"


@pytest.fixture
def model_dir(home: Path) -> Path:
    return home / "models"


@pytest.fixture
def listed(run: Run) -> Callable[[], dict[str, dict]]:
    def rows() -> dict[str, dict]:
        result = run("models", "list", "--json")
        assert result.exit_code == 0, result.stderr
        return {row["name"]: row for row in json.loads(result.stdout)}

    return rows


@pytest.fixture
def onnx_copy(models: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(models / "mobilenetv2-12-int8.onnx", tmp_path / "mine.onnx"))


@pytest.fixture
def imported(run: Run, home: Path, onnx_copy: Path, models: Path) -> str:
    result = run(
        "models", "import", onnx_copy, "--name", NAME, "--task", "classify",
        "--labels", models / "imagenet_classes.txt", *MOBILENET_INPUT,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert NAME in result.stdout
    return NAME


def test_it_lists_the_builtins_from_the_mirror_with_their_task(
    home: Path, listed: Callable[[], dict[str, dict]], models: Path
) -> None:
    rows = listed()

    assert rows["imagenet-mobilenetv2"]["task"] == "classify"
    assert rows["imagenet-mobilenetv2-int8"]["task"] == "classify"
    assert rows["coco-yolox-nano"]["task"] == "detect"
    for name in ("imagenet-mobilenetv2-int8", "coco-yolox-nano"):
        assert rows[name]["builtin"] is True
        assert rows[name]["available"] is True
        assert rows[name]["source"] == "mirror"
        # The shared folder may be reached through a symlink: compare real paths.
        assert Path(rows[name]["path"]).resolve().parent == models.resolve()


def test_it_lists_the_float_classifier_as_derived_from_the_mirrored_int8_file(
    home: Path, listed: Callable[[], dict[str, dict]], models: Path
) -> None:
    row = listed()["imagenet-mobilenetv2"]

    assert row["available"] is True
    assert row["source"] == "derived"
    assert Path(row["path"]) == home / "models" / "mobilenetv2-12-float32.onnx"
    assert Path(row["derived_from"]).resolve() == (models / "mobilenetv2-12-int8.onnx").resolve()


def test_it_lists_the_models_for_people_too(run: Run, home: Path) -> None:
    result = run("models", "list")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("imagenet-mobilenetv2") and "classify" in line for line in lines)
    assert any(line.startswith("coco-yolox-nano") and "detect" in line for line in lines)


def test_it_pulls_a_builtin_offline_through_the_mirror(run: Run, home: Path, models: Path) -> None:
    result = run("models", "pull", "imagenet-mobilenetv2-int8")

    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert (
        Path(line.split(": ", 1)[1].removesuffix(" (mirror)")).resolve()
        == (models / "mobilenetv2-12-int8.onnx").resolve()
    )
    assert not (home / "models" / "mobilenetv2-12-int8.onnx").exists()


def test_it_pulls_the_float_classifier_by_deriving_it_from_the_mirrored_file(
    run: Run, home: Path, models: Path
) -> None:
    result = run("models", "pull", "imagenet-mobilenetv2")

    assert result.exit_code == 0, result.stderr
    derived = home / "models" / "mobilenetv2-12-float32.onnx"
    assert f"{derived} (derived from " in result.stdout
    assert derived.stat().st_size > 3 * (models / "mobilenetv2-12-int8.onnx").stat().st_size  # float weights
    assert not (home / "models" / "mobilenetv2-12-int8.onnx").exists()


def test_it_refuses_to_pull_an_unknown_model(run: Run, home: Path) -> None:
    result = run("models", "pull", "nope")

    assert result.exit_code == 1
    assert "no model named 'nope'" in result.stderr


def test_it_classifies_with_an_imported_model(run: Run, imported: str, images: Path) -> None:
    result = run("classify", "--model", imported, images / "parrot.jpg", "--json")

    assert result.exit_code == 0, result.stderr
    (entry,) = json.loads(result.stdout)
    assert entry["model"] == imported
    assert entry["predictions"][0]["label"] == "macaw"
    assert entry["predictions"][0]["score"] > 0.9


def test_it_lists_an_imported_model(imported: str, listed: Callable[[], dict[str, dict]]) -> None:
    row = listed()[imported]

    assert row["task"] == "classify"
    assert row["builtin"] is False
    assert row["classes"] == 1000
    assert row["source"] == "cache"
    assert row["input"] == {"size": [224, 224], "resize": "crop", "color": "RGB"}


def test_it_forgets_a_removed_model(
    run: Run, imported: str, model_dir: Path, images: Path, listed: Callable[[], dict[str, dict]]
) -> None:
    result = run("models", "remove", imported)

    assert result.exit_code == 0, result.stderr
    assert not (model_dir / f"{imported}.onnx").exists()
    assert imported not in listed()
    again = run("classify", "--model", imported, images / "parrot.jpg")
    assert again.exit_code == 1
    assert f"no model named {imported!r}" in again.stderr


def test_it_refuses_a_file_that_is_not_onnx_and_leaves_the_catalog_alone(
    run: Run, imported: str, videos: Path, models: Path, listed: Callable[[], dict[str, dict]]
) -> None:
    before = listed()
    result = run(
        "models", "import", videos / "not_a_video.mp4", "--name", "text", "--task", "classify",
        "--labels", models / "imagenet_classes.txt",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "not a usable ONNX model" in result.stderr
    assert listed() == before


def test_it_refuses_labels_of_the_wrong_length_and_keeps_no_file(
    run: Run, home: Path, onnx_copy: Path, models: Path, model_dir: Path, tmp_path: Path
) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join((models / "imagenet_classes.txt").read_text().splitlines()[:999]))
    result = run(
        "models", "import", onnx_copy, "--name", "short", "--task", "classify", "--labels", labels,
        *MOBILENET_INPUT,
    )  # fmt: skip

    assert result.exit_code == 1
    assert "1000 scores but 999 labels" in result.stderr
    assert not model_dir.exists() or list(model_dir.iterdir()) == []
    assert "short" not in run("models", "list").stdout


@pytest.mark.parametrize("name", ["imagenet-mobilenetv2", "coco-yolox-nano", "yolox_nano"])
def test_it_refuses_the_name_of_a_builtin(
    run: Run, home: Path, onnx_copy: Path, models: Path, model_dir: Path, name: str
) -> None:
    result = run(
        "models", "import", onnx_copy, "--name", name, "--task", "classify",
        "--labels", models / "imagenet_classes.txt",
    )  # fmt: skip

    assert result.exit_code == 1
    assert "built-in" in result.stderr
    assert not list(model_dir.glob("*.onnx*"))
