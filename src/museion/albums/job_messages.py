"""A job's stage and error in the reader's language.

Workers write a job's stage and error in English, the language of the logs and of API scripts that
compare them; the album page and the jobs API say them again in the language of whoever reads them
(a worker has no reader's language), figures kept. A text not in these tables stays as written.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from museion.http.vision_messages import PATTERNS, exact, gettext_noop, messages, translated

STAGES = messages(
    exact(gettext_noop("queued")),
    exact(gettext_noop("starting")),
    exact(gettext_noop("done")),
    exact(gettext_noop("failed")),
    exact(gettext_noop("cancelled")),
    exact(gettext_noop("exporting")),
    (r"reading frames \((?P<seconds>[\d.]+) s\)", gettext_noop("reading frames (%(seconds)s s)")),
    (
        r"embedding new pictures \((?P<done>\d+)/(?P<total>\d+)\)",
        gettext_noop("embedding new pictures (%(done)s/%(total)s)"),
    ),
    (
        r"embedding pictures \((?P<done>\d+)/(?P<total>\d+)\)",
        gettext_noop("embedding pictures (%(done)s/%(total)s)"),
    ),
    exact(gettext_noop("calibrating on works left out")),
    exact(gettext_noop("training the recognizer")),
    (
        r"keypoints of (?P<count>\d+) reference pictures",
        gettext_noop("keypoints of %(count)s reference pictures"),
    ),
    (
        r"stopped at (?P<seconds>[\d.]+) s: the workspace's storage quota is reached",
        gettext_noop("stopped at %(seconds)s s: the workspace's storage quota is reached"),
    ),
)
ERRORS = messages(
    exact(gettext_noop("the worker running this job stopped")),
    exact(gettext_noop("the job queue (Celery broker) could not be reached; try again")),
    exact(gettext_noop("the video was deleted before its frames were read")),
    exact(gettext_noop("training needs at least two classes with pictures")),
    *((pattern.pattern, message) for pattern, message in PATTERNS),
)


def stage_text(stage: str, gettext: Callable[[str], str] = _) -> str:
    """`stage` in the reader's language; the CLI passes the shell's `gettext`."""
    return translated(stage, gettext, STAGES)


def error_text(error: str) -> str:
    return translated(error, patterns=ERRORS)
