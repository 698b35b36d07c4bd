"""Reading an uploaded file for the API: the size limit, checked before the body is read."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.files import UploadedFile

from museion.http.errors import ApiError


def over_the_limit_message() -> str:
    return _("the upload is over the limit of %(mb)s MB") % {"mb": f"{settings.MAX_UPLOAD_BYTES / 1e6:.0f}"}


def read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise ApiError(413, "too_large", over_the_limit_message())
    return upload.read()
