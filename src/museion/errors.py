"""What the apps' services raise when they refuse an action: a stable `code` and a message.

    DomainError          an action refused; `code` says which (`name_taken`, `quota_exceeded`, ...)
    ├── NotFound         `not_found`: missing, or not the caller's to see (told apart from neither)
    └── Forbidden        `forbidden`: the caller sees it but may not change it

Services never know about HTTP. The web layer answers a refusal in one place each:
`museion.http.errors.status_for` maps a code to the API's status, and
`museion.http.pages` turns one into a page (404, 403, or a message on the page).
`museion.vision.VisionError` carries codes the same way and is answered the same.
"""

from __future__ import annotations


class DomainError(Exception):
    """An action refused for a reason the person can act on."""

    code = "refused"

    def __init__(self, code: str | None = None, message: str = "") -> None:
        super().__init__(message)
        self.code = code or type(self).code
        self.message = message


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, message: str = "not found") -> None:
        super().__init__(None, message)


class Forbidden(DomainError):
    code = "forbidden"

    def __init__(self, message: str) -> None:
        super().__init__(None, message)
