"""`museion.vision`'s refusals in the caller's language, for the API and the pages.

The vision core imports nothing of Django and writes its messages in English (its CLI and library
users read them so); each message a photo or a `lang` parameter commonly gets is matched here and
said again through the catalogs, its figures kept. A message not in this table stays English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _


def gettext_noop(message: str) -> str:
    """Marks a msgid for `make messages`; unlike Django's, it needs no settings (the CLI has none)."""
    return message


def messages(*pairs: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """A table for `translated`: (a regular expression of the English message, its msgid)."""
    return tuple((re.compile(pattern), message) for pattern, message in pairs)


def exact(message: str) -> tuple[str, str]:
    """A row of `messages` for a message without figures: matched as it is written."""
    return re.escape(message), message


# (the English message as museion.vision writes it, the same message to translate)
PATTERNS = messages(
    exact(gettext_noop("the file is empty")),
    (
        r"the file is not an image; send (?P<formats>.+)",
        gettext_noop("the file is not an image; send %(formats)s"),
    ),
    (
        r"(?P<kind>\S+) images are not supported; send (?P<formats>.+)",
        gettext_noop("%(kind)s images are not supported; send %(formats)s"),
    ),
    (
        r"the (?P<kind>\S+) data is damaged or incomplete(?P<detail>.*)",
        gettext_noop("the %(kind)s data is damaged or incomplete%(detail)s"),
    ),
    (
        r"the image is (?P<size>\S+) \((?P<mp>\d+) MP\); the limit is (?P<limit>\d+) MP",
        gettext_noop("the image is %(size)s (%(mp)s MP); the limit is %(limit)s MP"),
    ),
    (
        r"no model named (?P<name>.+); known models: (?P<known>.+)",
        gettext_noop("no model named %(name)s; known models: %(known)s"),
    ),
    (
        r"lang should be a language tag such as zh-hans, fr or de \(at most (?P<max>\d+) characters\)",
        gettext_noop("lang should be a language tag such as zh-hans, fr or de (at most %(max)s characters)"),
    ),
    (
        r"(?P<name>'[^']+') is a (?P<task>\w+) model; it cannot (?P<wanted>\w+)",
        gettext_noop("%(name)s is a %(task)s model; it cannot %(wanted)s"),
    ),
    exact(gettext_noop("the file holds no video stream")),
    exact(gettext_noop("the file is a still image, not a video")),
    exact(gettext_noop("this file's content is not a video, or the video is damaged")),
    exact(
        gettext_noop("the video ends too early: the file is cut short (a copy or upload that did not finish)")
    ),
    exact(
        gettext_noop(
            "the video is in a format Museion cannot decode; send H.264, HEVC or VP9 (what phones record)"
        )
    ),
    exact(gettext_noop("the video is too large to decode on this server")),
    (
        r"the video is damaged part-way: (?P<why>.+)",
        gettext_noop("the video is damaged part-way: %(why)s"),
    ),
    (
        r"the video's frames are (?P<size>\d+x\d+); the limit is 8K \(7680x4320\)",
        gettext_noop("the video's frames are %(size)s; the limit is 8K (7680x4320)"),
    ),
    # A server without internet access, the first time a model is asked for (museion.vision.fetch).
    (
        r"the file (?P<file>\S+) of model (?P<name>'[^']+') is missing from (?P<folder>.+); "
        r"import it again with `museion models import`",
        gettext_noop(
            "the file %(file)s of model %(name)s is missing from %(folder)s; "
            "import it again with `museion models import`"
        ),
    ),
    (
        r"cannot download (?P<name>'[^']+') from (?P<url>\S+) \((?P<why>\w+)\)\. Without internet access, "
        r"put (?P<file>\S+) in a folder and set MUSEION_MODEL_MIRROR to that folder, or register a local "
        r"file with `museion models import`\.",
        gettext_noop(
            "cannot download %(name)s from %(url)s (%(why)s). Without internet access, put %(file)s in a "
            "folder and set MUSEION_MODEL_MIRROR to that folder, or register a local file with "
            "`museion models import`."
        ),
    ),
    (
        r"the download of (?P<name>'[^']+') from (?P<url>\S+) was refused: (?P<why>.+)",
        gettext_noop("the download of %(name)s from %(url)s was refused: %(why)s"),
    ),
    (
        r"cannot create the model directory (?P<folder>.+): (?P<why>.+)",
        gettext_noop("cannot create the model directory %(folder)s: %(why)s"),
    ),
    (r"not a Museion bundle: (?P<why>.+)", gettext_noop("not a Museion bundle: %(why)s")),
)


def translated(
    message: str,
    gettext: Callable[[str], str] = _,
    patterns: tuple[tuple[re.Pattern[str], str], ...] = PATTERNS,
) -> str:
    """`message` in the active language (or `gettext`'s) when `patterns` knows it, else as it is."""
    for pattern, template in patterns:
        if match := pattern.fullmatch(message):
            return gettext(template) % match.groupdict()
    return message
