"""The interface's catalogs: every template's visible text is in translation tags, every msgid of
every shipped language is translated (none fuzzy), and the committed .mo files say what the .po
files say. The JS modules' strings are in the djangojs catalogs, checked the same way.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

SRC = Path(__file__).resolve().parents[2] / "src" / "museion"
LOCALE = SRC / "locale"
TEMPLATES = sorted(p for p in SRC.glob("*/templates/**/*") if p.suffix in {".html", ".txt"})
SHIPPED = [code for code, _ in settings.LANGUAGES if code != "en"]
FOLDERS = {"zh-hans": "zh_Hans", "fr": "fr", "de": "de"}
DOMAINS = ("django", "djangojs")
# Words a page may show in any language: names, codes and units, not sentences.
UNTRANSLATED = {"Museion", "API", "UTC", "v", "px", "MB", "s"}
# Attributes a reader sees or hears (a screen reader reads aria-label, a browser shows title).
SEEN = re.compile(r'\b(?:title|alt|aria-label|placeholder|data-confirm|data-question)="([^"]*)"')


def entries(po: Path) -> list[dict]:
    """A .po file's entries as {"msgid", "msgid_plural"?, "msgstr" or "msgstr[n]", "flags"}."""
    found, current, field = [], None, None
    for line in [*po.read_text("utf-8").splitlines(), ""]:
        line = line.strip()
        if not line:
            if current:
                found.append(current)
            current = None
            continue
        current = current if current is not None else {"flags": ""}
        if line.startswith("#,"):
            current["flags"] += line[2:]
        elif line.startswith("#"):
            continue
        elif match := re.match(r'^(msgid_plural|msgid|msgstr\[\d+\]|msgstr|msgctxt)\s+(".*")$', line):
            field = match[1]
            current[field] = ast.literal_eval(match[2])
        else:
            current[field] += ast.literal_eval(line)
    return [e for e in found if e.get("msgid")]  # the header has an empty msgid


def visible_text(source: str) -> str:
    """What a template shows outside translation tags, with the seen attributes' values."""
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", " ", source, flags=re.S)
    text = re.sub(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", " ", text, flags=re.S)
    text = re.sub(r"{%\s*translate\b.*?%}", " ", text)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    attributes = " ".join(SEEN.findall(text))
    text = re.sub(r"{{.*?}}|{%.*?%}", " ", f"{text} {attributes}", flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    return re.sub(r"&\w+;", " ", text)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_template_shows_text_outside_translation_tags(template: Path) -> None:
    words = set(re.findall(r"[A-Za-z]{2,}|\b[A-Za-z]\b", visible_text(template.read_text("utf-8"))))
    assert words - UNTRANSLATED == set()


def test_every_template_loads_the_translation_tags_it_uses() -> None:
    missing = [
        str(p.relative_to(SRC))
        for p in TEMPLATES
        if "translate" in (text := p.read_text("utf-8")) and not re.search(r"{%\s*load\b[^%]*\bi18n\b", text)
    ]
    assert missing == []


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_every_msgid_is_translated_and_none_is_fuzzy(language: str, domain: str) -> None:
    po = LOCALE / FOLDERS[language] / "LC_MESSAGES" / f"{domain}.po"
    found = entries(po)
    assert found, po
    translations = {e["msgid"]: [v for k, v in e.items() if k.startswith("msgstr")] for e in found}
    untranslated = [msgid for msgid, texts in translations.items() if not texts or not all(texts)]
    fuzzy = [e["msgid"] for e in found if "fuzzy" in e["flags"]]
    assert (untranslated, fuzzy) == ([], [])


@pytest.mark.parametrize("language", SHIPPED)
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_mo_says_what_the_po_says(language: str, domain: str) -> None:
    folder = LOCALE / FOLDERS[language] / "LC_MESSAGES"
    with (folder / f"{domain}.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for entry in entries(folder / f"{domain}.po"):
        if "msgid_plural" in entry:
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr[0]"]
            assert (
                compiled.ngettext(entry["msgid"], entry["msgid_plural"], 5)
                == entry["msgstr[1]" if "msgstr[1]" in entry else "msgstr[0]"]
            ), "run make messages"
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"], "run make messages"


def test_the_catalogs_cover_every_string_of_the_code() -> None:
    """A msgid in the code but missing from a catalog: `make messages` was not run after a change."""
    marked = set()
    for path in SRC.rglob("*"):
        if path.suffix in {".py", ".js", ".html", ".txt"} and "ort" not in path.parts and path.is_file():
            text = path.read_text("utf-8", errors="replace")
            marked |= set(re.findall(r'{%\s*translate\s+"([^"]+)"', text))
            if path.suffix == ".js":
                marked |= set(re.findall(r'\bgettext\("((?:[^"\\]|\\.)+)"\)', text))
    known = set()
    for domain in DOMAINS:
        po = LOCALE / "fr" / "LC_MESSAGES" / f"{domain}.po"
        known |= {e["msgid"].replace("%%", "%") for e in entries(po)}
    assert {m.replace('\\"', '"') for m in marked} - known == set()
