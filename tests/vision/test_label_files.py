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
    # Many names left in English would be a file of English, not a translation; a few are loanwords
    # (French and German say "pizza", "snowboard").
    same = [n for n, e in zip(names, english(label_set), strict=True) if n == e.split(",")[0]]
    assert len(same) <= len(names) // 6, same[:10]
    assert len(set(names)) == len(names), "two classes with one name cannot be told apart"


def test_known_classes_have_their_chinese_names() -> None:
    imagenet, coco = label_file("imagenet", "zh-hans"), label_file("coco", "zh-hans")
    assert (imagenet[0], imagenet[88], imagenet[999]) == ("丁鲷", "金刚鹦鹉", "卫生纸")
    assert (coco[0], coco[16]) == ("人", "狗")


@pytest.mark.parametrize(
    ("lang", "imagenet_names", "coco_names"),
    [
        ("fr", ("tanche", "ara", "grue (oiseau)", "grue (engin)", "papier toilette"), ("personne", "chien")),
        ("de", ("Schleie", "Ara", "Kranich", "Kran", "Toilettenpapier"), ("Person", "Hund")),
    ],
)
def test_known_classes_have_their_french_and_german_names(
    lang: str, imagenet_names: tuple[str, ...], coco_names: tuple[str, ...]
) -> None:
    """Anchors through each file, so that a line slipped out of place fails here."""
    imagenet, coco = label_file("imagenet", lang), label_file("coco", lang)
    assert (imagenet[0], imagenet[88], imagenet[134], imagenet[517], imagenet[999]) == imagenet_names
    assert (coco[0], coco[16]) == coco_names
