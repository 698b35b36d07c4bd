"""Every shipped language has a label file per label set, line for line with the English one."""

from __future__ import annotations

from importlib import resources

import pytest

from museion.vision.languages import ENGLISH, LANGUAGES, label_file

LABELS = resources.files("museion.vision").joinpath("labels")
SETS = ("imagenet", "coco")
TRANSLATED = [lang for lang in LANGUAGES if lang != ENGLISH]


def english(label_set: str) -> list[str]:
    return LABELS.joinpath(f"{label_set}.txt").read_text("utf-8").splitlines()


@pytest.mark.parametrize("label_set", SETS)
@pytest.mark.parametrize("lang", TRANSLATED)
def test_a_translation_has_one_name_per_class_in_order(label_set: str, lang: str) -> None:
    names = label_file(label_set, lang)
    assert len(names) == len(english(label_set))
    assert all(name and name == name.strip() for name in names)
    # Names left in English would be a line slipped out of place, not a translation.
    same = [n for n, e in zip(names, english(label_set), strict=True) if n == e.split(",")[0]]
    assert len(same) <= len(names) // 50, same[:10]


def test_known_classes_have_their_chinese_names() -> None:
    imagenet, coco = label_file("imagenet", "zh-hans"), label_file("coco", "zh-hans")
    assert (imagenet[0], imagenet[88], imagenet[999]) == ("丁鲷", "金刚鹦鹉", "卫生纸")
    assert (coco[0], coco[16]) == ("人", "狗")
