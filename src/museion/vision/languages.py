"""The languages the built-in models' labels come in, and how a request or a shell picks one.

Tags are read as BCP 47 (`zh-Hans-CN`, `fr-CA`) or as POSIX locales (`zh_CN.UTF-8`), any case.
A tag of a language that ships no labels gives English; only a value that is no tag at all is
refused (`InvalidLanguage`), so that a typo in a script is seen rather than silently ignored.
Label files live beside the English ones: `labels/<set>.<lang>.txt`, one common name a line, in
the English file's order (see labels/README.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from museion.vision.errors import InvalidLanguage

ENGLISH = "en"
# English first: it is the fallback and the labels the models were trained with. A language is
# listed once its label files are complete, so that an answer's "lang" is the labels' language.
LANGUAGES: tuple[str, ...] = (ENGLISH, "zh-hans", "fr", "de")
LANGUAGE_NAMES = {"en": "English", "zh-hans": "简体中文", "fr": "Français", "de": "Deutsch"}
MAX_TAG = 35  # RFC 5646's advice for the longest tag worth keeping
TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
# Chinese written in Traditional characters: a reader of it is not given Simplified labels.
TRADITIONAL = {"hant", "tw", "hk", "mo"}
MAX_ACCEPT_LANGUAGE = 1024  # a header longer than this is read only this far
# A work's card may be written in any language a museum writes, not only those labels ship in:
# a primary language of 2-3 letters (or a registered 5-8), then subtags of 1-8 letters or digits
# (script, region, variants and extensions alike); well formed, not checked against the registry.
CARD_TAG = re.compile(r"^(?:[a-z]{2,3}|[a-z]{5,8})(?:-[a-z0-9]{1,8})*$")


def shipped(tag: str) -> str | None:
    """The shipped language a well-formed tag names (`zh-CN` -> `zh-hans`), or None."""
    parts = tag.replace("_", "-").lower().split("-")
    primary, rest = parts[0], set(parts[1:])
    if primary == "zh":
        return None if rest & TRADITIONAL else "zh-hans"
    return primary if primary in LANGUAGES else None


def parse_lang(value: str) -> str:
    """The language of a `lang` parameter: a shipped one, else English; InvalidLanguage if no tag."""
    if len(value) > MAX_TAG or not TAG.fullmatch(value):
        raise InvalidLanguage(
            f"lang should be a language tag such as zh-hans, fr or de (at most {MAX_TAG} characters)"
        )
    return shipped(value) or ENGLISH


def from_accept_language(header: str) -> str:
    """The shipped language the caller prefers most (quality values honoured), else English.

    A header is never refused: a part that cannot be read is skipped, as browsers expect.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = _quality(params)
        found = shipped(tag.strip()) if TAG.fullmatch(tag.strip()) else None
        if found and quality > 0:
            ranked.append((-quality, position, found))
    return min(ranked)[2] if ranked else ENGLISH


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def choose(lang: str | None, accept_language: str | None) -> str:
    """A request's language: its `lang` parameter if given, else its Accept-Language header."""
    if lang:
        return parse_lang(lang)
    return from_accept_language(accept_language or "")


def from_environment(environ: Mapping[str, str]) -> str:
    """The shell's language, as POSIX ranks its variables: LC_ALL, LC_MESSAGES, then LANG."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            tag = re.split(r"[.@]", value, maxsplit=1)[0]
            return (shipped(tag) if TAG.fullmatch(tag) else None) or ENGLISH
    return ENGLISH


def card_tag(tag: object) -> str:
    """A card language's tag as cards are filed under it (`zh_Hans` -> `zh-hans`), or ValueError.

    One rule for the album API, the class pages and a training folder's info.json.
    """
    if not isinstance(tag, str):
        raise ValueError("a language is a BCP 47 tag such as “fr” or “zh-Hans”")
    tag = tag.strip().replace("_", "-").lower()
    if len(tag) > MAX_TAG or not CARD_TAG.match(tag):
        raise ValueError(f"“{tag[:MAX_TAG]}” is not a language tag (BCP 47, such as “fr” or “zh-Hans”)")
    return tag


@cache
def label_file(label_set: str, lang: str) -> tuple[str, ...]:
    """The translated names of a label set (empty when that language has no file for it)."""
    folder = resources.files("museion.vision").joinpath("labels")
    path = folder.joinpath(f"{label_set}.{lang}.txt")
    if not label_set or lang == ENGLISH or not path.is_file():
        return ()
    return tuple(line.strip() for line in path.read_text("utf-8").splitlines())
