"""The CLI's messages in the shell's language (LC_ALL, LC_MESSAGES, then LANG, as POSIX ranks them).

The commands that need no database never set Django up, so the compiled catalogs of the interface
(src/museion/locale, the `django` domain) are read with the standard library's gettext: one set of
translations for the pages, the API and the CLI. A language Museion does not ship is English.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from museion.vision.languages import TAG, TRADITIONAL

LOCALE = Path(__file__).resolve().parent.parent / "locale"
# A shell's language to its catalog's folder: zh_CN, zh_SG and zh-Hans read Simplified Chinese.
FOLDERS = {"zh": "zh_Hans", "fr": "fr", "de": "de"}


def folder_for(environ: Mapping[str, str]) -> str | None:
    """The catalog folder of the first of LC_ALL, LC_MESSAGES, LANG that is set; None: English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            tag = re.split(r"[.@]", value, maxsplit=1)[0]
            if not TAG.fullmatch(tag):
                return None
            primary, *rest = tag.replace("_", "-").lower().split("-")
            if primary == "zh" and TRADITIONAL & set(rest):
                return None
            return FOLDERS.get(primary)
    return None


@cache
def _translations() -> stdlib_gettext.NullTranslations:
    folder = folder_for(os.environ)
    if folder is None:
        return stdlib_gettext.NullTranslations()
    return stdlib_gettext.translation("django", localedir=LOCALE, languages=[folder], fallback=True)


def _(message: str) -> str:
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations().ngettext(singular, plural, count)


def vision_message(message: object) -> str:
    """A refusal of museion.vision (in English) in the shell's language, when the catalogs know it."""
    from museion.http.vision_messages import translated

    return translated(str(message), _)
