"""Reading an uploaded photo for the API: the size limit, and image errors as HTTP answers."""

from __future__ import annotations

from django.conf import settings
from ninja.files import UploadedFile

from museion.vision.errors import ImageError
from museion.web.errors import ApiError

# How each kind of bad picture is answered: not a picture at all is 415, too big is 413.
IMAGE_STATUS = {
    "empty_image": 400,
    "corrupt_image": 400,
    "not_an_image": 415,
    "unsupported_format": 415,
    "image_too_large": 413,
}


def read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise ApiError(
            413, "too_large", f"the upload is over the limit of {settings.MAX_UPLOAD_BYTES / 1e6:.0f} MB"
        )
    return upload.read()


def image_error(exc: ImageError) -> ApiError:
    return ApiError(IMAGE_STATUS.get(exc.code, 400), exc.code, str(exc))
