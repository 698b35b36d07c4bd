"""The languages a work's card is written in, and which one a visitor is answered in.

A class's own title and description are in its album's default language; `translations`
holds the others, keyed by a BCP 47 tag in lower case (`zh-hans`, `ar`, `pt-br`): any
language a museum writes, not only the interface's. A visitor asks with `?lang=` or the
browser's Accept-Language; the card takes each field from the best language that has it,
else from the default language (a translated title with an untranslated description
shows the default description). Nothing here needs Django.
(`museion.vision.languages` is the other kind: the few languages the built-in models' labels ship in.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from museion.errors import DomainError
from museion.vision.languages import MAX_TAG, card_tag

TAG_MAX = MAX_TAG  # what BCP 47 asks every implementation to accept (RFC 5646, 4.4.1)
LANGUAGES_MAX = 50  # translations per class: far more than a museum writes, and a bound on the JSON
# Scripts written right to left, by language (a script subtag overrides: `az-arab`, `pa-arab`).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "iw"})
RTL_SCRIPTS = frozenset({"arab", "hebr", "thaa", "syrc", "nkoo", "adlm"})
# Chinese regions read one script: `zh-cn` asks for what a museum files as `zh-hans`.
_ZH_SCRIPT = {"cn": "hans", "sg": "hans", "my": "hans", "tw": "hant", "hk": "hant", "mo": "hant"}
ACCEPT_MAX = 1024  # an Accept-Language header is read this far


class BadTag(DomainError):
    """Not a language tag a card can be written in (a 400 at the API)."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_language", message)


def normalise(tag: str) -> str:
    """`zh_Hans` -> `zh-hans`, or BadTag."""
    try:
        return card_tag(tag)
    except ValueError as exc:
        raise BadTag(str(exc)) from None


def is_rtl(tag: str) -> bool:
    parts = tag.lower().split("-")
    if any(p in RTL_SCRIPTS for p in parts[1:]):
        return True
    return parts[0] in RTL_LANGUAGES and not any(len(p) == 4 and p.isalpha() for p in parts[1:])


def accepted(header: str) -> list[str]:
    """An Accept-Language header's languages, best first (q=0 and malformed entries left out)."""
    ranked = []
    for position, entry in enumerate(header[:ACCEPT_MAX].split(",")):
        tag, _, params = entry.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0 or tag == "*":
            continue
        try:
            ranked.append((-quality, position, normalise(tag)))
        except BadTag:
            continue
    return [tag for _, _, tag in sorted(ranked)]


def wanted(lang: str | None, accept_language: str) -> list[str]:
    """What a visitor asks for: `?lang=` first, then the browser's languages."""
    first = [normalise(lang)] if lang else []
    return first + [tag for tag in accepted(accept_language) if tag not in first]


def candidates(tag: str) -> list[str]:
    """A tag and the more general ones that serve it: `zh-cn` -> zh-hans-cn, zh-hans, zh-cn, zh."""
    parts = tag.split("-")
    if parts[0] == "zh" and len(parts) > 1 and parts[1] in _ZH_SCRIPT:
        parts = ["zh", _ZH_SCRIPT[parts[1]], *parts[1:]]
    general = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if general[0] != tag:
        general.insert(len(general) - 1, tag)  # the tag as asked, before its bare language
    return list(dict.fromkeys(general))


def choose(asked: Sequence[str], available: Iterable[str], default: str) -> str:
    """The best of the `available` languages (the default one included) for a visitor who `asked`."""
    have = set(available) | {default}
    for tag in asked:
        for candidate in candidates(tag):
            if candidate in have:
                return candidate
        primary = tag.split("-")[0]  # `fr-ca` asked, only `fr-fr` written: still French
        near = sorted(t for t in have if t.split("-")[0] == primary)
        if near:
            return near[0]
    return default


Texts = Mapping[str, Mapping[str, str]]  # {"ar": {"title", "description"}}


def card_text(title: str, description: str, translations: Texts, default: str, asked: Sequence[str]) -> dict:
    """Title and description in the visitor's language, each field falling back to the default
    language's, and `lang`: the language chosen."""
    lang = choose(asked, translations, default)
    own = translations.get(lang, {}) if lang != default else {}
    return {
        "title": own.get("title") or title,
        "description": own.get("description") or description,
        "lang": lang,
    }
