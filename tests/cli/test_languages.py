"""The CLI speaks the shell's language (LC_ALL, then LC_MESSAGES, then LANG), in a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from museion.cli._i18n import folder_for
from tests.conftest import IMAGES
from tests.media import make_dataset


def museion(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"}}
    return subprocess.run(
        [sys.executable, "-m", "museion", *args],
        env={**clean, "MUSEION_HOME": str(tmp_path), **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_under_a_chinese_locale_a_refusal_is_in_chinese(tmp_path: Path) -> None:
    done = museion("classify", "--model", "no-such-model", "x.jpg", tmp_path=tmp_path, LANG="zh_CN.UTF-8")
    assert done.returncode == 1
    assert "没有名为 'no-such-model' 的模型" in done.stderr


def test_a_bad_input_is_reported_in_the_shells_language(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    done = museion("classify", str(empty), tmp_path=tmp_path, LC_ALL="de_DE.UTF-8", LANG="zh_CN.UTF-8")
    assert done.returncode == 3
    assert f"museion: {empty}: die Datei ist leer" in done.stderr


def test_with_no_locale_or_an_unshipped_one_it_is_english(tmp_path: Path) -> None:
    done = museion("classify", "--model", "no-such-model", "x.jpg", tmp_path=tmp_path, LANG="pt_BR.UTF-8")
    assert "no model named 'no-such-model'" in done.stderr


@pytest.mark.parametrize(
    ("environ", "folder"),
    [({"LANG": "zh_CN.UTF-8"}, "zh_Hans"), ({"LANG": "zh_TW.UTF-8"}, None),
     ({"LC_ALL": "fr_CA", "LANG": "de"}, "fr"), ({"LC_MESSAGES": "de_AT.UTF-8@euro"}, "de"),
     ({"LANG": "C"}, None), ({"LANG": "C.UTF-8"}, None), ({}, None)],
)  # fmt: skip
def test_the_shells_language_is_read_as_posix_ranks_its_variables(environ: dict, folder: str | None) -> None:
    assert folder_for(environ) == folder


def test_train_and_predict_say_their_summary_in_the_shells_language(tmp_path: Path) -> None:
    dataset = make_dataset(tmp_path / "ds", IMAGES, ["owl.jpg", "parrot.jpg", "sunflower.bmp"], 2)
    out = tmp_path / "album.zip"
    done = museion("train", str(dataset), "--out", str(out), "--fps", "1", tmp_path=tmp_path, LANG="zh_CN")
    assert done.returncode == 0, done.stderr
    assert f"已写入 {out}：3 个类别" in done.stdout
    assert "校准照片的 top-1" in done.stdout
    assert "导出检查" in done.stdout
    assert "top-1 on calibration photos" not in done.stdout
    pets = str(IMAGES / "pets.jpg")
    said = museion("predict", "--bundle", str(out), pets, tmp_path=tmp_path, LC_ALL="de_DE.UTF-8")
    assert said.stdout.strip() == f"{pets}: nicht erkannt"


def test_the_model_list_is_in_the_shells_language(tmp_path: Path) -> None:
    done = museion("models", "list", tmp_path=tmp_path, LANG="de_DE.UTF-8",
                   MUSEION_MODEL_MIRROR=os.environ.get("MUSEION_MODEL_MIRROR", ""))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"imagenet-mobilenetv2-int8\s+classify\s+1000 Klassen", done.stdout), done.stdout
