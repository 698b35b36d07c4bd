"""The albums' refusals (see museion.errors for the codes' common base).

MediaError        an upload refused whole, with its reason (`bad_zip`, `video_too_long`, ...)
└── QuotaExceeded `quota_exceeded`: it would take the workspace past its storage quota
"""

from __future__ import annotations

from museion.errors import DomainError


class MediaError(DomainError):
    """An upload refused whole, with its reason."""


class QuotaExceeded(MediaError):
    code = "quota_exceeded"

    def __init__(self, message: str) -> None:
        super().__init__(None, message)
