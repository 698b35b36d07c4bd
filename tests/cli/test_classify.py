"""`museion classify`: the JSON contract, batches with bad files, and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

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
def parrot(images: Path) -> Path:
    return images / "parrot.jpg"


def test_it_prints_json_with_exactly_the_documented_keys_and_types(run: Run, images: Path) -> None:
    paths = [images / "parrot.jpg", images / "cat.bmp"]
    result = run("classify", *paths, "--top", 3, "--json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [r["image"] for r in data] == [str(p) for p in paths]
    for entry in data:
        assert set(entry) == {"image", "model", "lang", "predictions"}
        assert entry["lang"] == "en"
        assert entry["model"] == "imagenet-mobilenetv2"
        assert len(entry["predictions"]) == 3
        for p in entry["predictions"]:
            assert set(p) == {"label", "label_en", "index", "score"}
            assert type(p["label"]) is str
            assert type(p["index"]) is int
            assert type(p["score"]) is float
            assert 0.0 <= p["score"] <= 1.0
        scores = [p["score"] for p in entry["predictions"]]
        assert scores == sorted(scores, reverse=True)
    assert data[0]["predictions"][0]["label"] == "macaw"
    assert data[1]["predictions"][0]["label"] == "Egyptian cat"


def test_it_gives_five_predictions_by_default(run: Run, parrot: Path) -> None:
    result = run("classify", parrot, "--json")

    assert result.exit_code == 0
    assert len(json.loads(result.stdout)[0]["predictions"]) == 5


def test_it_names_the_label_in_human_output(run: Run, parrot: Path) -> None:
    result = run("classify", parrot)

    assert result.exit_code == 0
    assert str(parrot) in result.stdout
    assert "macaw" in result.stdout


def test_it_reports_bad_files_on_stderr_and_still_prints_the_good_ones(
    run: Run, parrot: Path, videos: Path, tmp_path: Path
) -> None:
    text_file, missing = videos / "not_a_video.mp4", tmp_path / "missing.jpg"
    result = run("classify", parrot, text_file, missing, "--json")

    assert result.exit_code == 3
    errors = result.stderr.splitlines()
    assert any(str(text_file) in line and "not an image" in line for line in errors), result.stderr
    assert any(str(missing) in line and "No such file" in line for line in errors), result.stderr
    data = json.loads(result.stdout)
    assert [r["image"] for r in data] == [str(parrot)]
    assert data[0]["predictions"][0]["label"] == "macaw"


def test_it_refuses_a_top_of_zero_as_a_usage_error(run: Run, parrot: Path) -> None:
    result = run("classify", parrot, "--top", 0)

    assert result.exit_code == 2
    assert "--top" in result.stderr


def test_it_names_the_known_models_when_the_model_is_unknown(run: Run, parrot: Path) -> None:
    result = run("classify", parrot, "--model", "nope")

    assert result.exit_code == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "'nope'" in line
    assert "imagenet-mobilenetv2" in line
    assert "coco-yolox-nano" in line


def test_it_refuses_a_detector_with_a_clear_message(run: Run, parrot: Path) -> None:
    result = run("classify", parrot, "--model", "coco-yolox-nano")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "'coco-yolox-nano' is a detect model; it cannot classify" in result.stderr


LOCALE = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": ""}  # the test's own, whatever the shell running it has


def test_under_a_chinese_locale_it_prints_the_chinese_label(parrot: Path) -> None:
    result = CliRunner().invoke(
        cli, ["classify", str(parrot), "--top", "1"], env={**LOCALE, "LANG": "zh_CN.UTF-8"}
    )
    assert result.exit_code == 0, result.output
    assert "金刚鹦鹉" in result.stdout
    assert "macaw" not in result.stdout


@pytest.mark.parametrize(
    ("environ", "option", "name"),
    [({"LANG": "de_DE.UTF-8"}, [], "Ara"), ({"LANG": "zh_CN.UTF-8"}, ["--lang", "fr"], "ara")],
)
def test_french_and_german_labels_come_from_the_locale_or_lang(
    parrot: Path, environ: dict, option: list[str], name: str
) -> None:
    result = CliRunner().invoke(cli, ["classify", str(parrot), "--top", "1", "--json", *option],
                                env={**LOCALE, **environ})  # fmt: skip
    entry = json.loads(result.stdout)[0]
    assert (entry["predictions"][0]["label"], entry["predictions"][0]["label_en"]) == (name, "macaw")


def test_lc_all_wins_over_lang(parrot: Path) -> None:
    env = {**LOCALE, "LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}
    result = CliRunner().invoke(cli, ["classify", str(parrot), "--top", "1"], env=env)
    assert "macaw" in result.stdout


def test_the_json_keeps_the_english_label_as_label_en(parrot: Path) -> None:
    env = {**LOCALE, "LANG": "zh_CN.UTF-8"}
    result = CliRunner().invoke(cli, ["classify", str(parrot), "--top", "1", "--json"], env=env)
    entry = json.loads(result.stdout)[0]
    assert entry["lang"] == "zh-hans"
    assert (entry["predictions"][0]["label"], entry["predictions"][0]["label_en"]) == ("金刚鹦鹉", "macaw")


def test_lang_wins_over_the_locale_and_an_unshipped_one_is_english(parrot: Path) -> None:
    env = {**LOCALE, "LANG": "zh_CN.UTF-8"}
    result = CliRunner().invoke(cli, ["classify", str(parrot), "--top", "1", "--lang", "ja"], env=env)
    assert "macaw" in result.stdout


def test_a_lang_that_is_no_language_tag_is_a_usage_error(parrot: Path) -> None:
    result = CliRunner().invoke(cli, ["classify", str(parrot), "--lang", "zh hans"])
    assert result.exit_code == 2
    assert "--lang" in result.output
