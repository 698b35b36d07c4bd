"""Exceptions raised by `museion.vision`.

    VisionError
    ├── ImageError            a file that cannot be used as a photo
    │   ├── EmptyImage
    │   ├── NotAnImage
    │   ├── CorruptImage      truncated or damaged data
    │   ├── UnsupportedFormat an image, but in a format Museion does not accept
    │   └── ImageTooLarge     over the byte or pixel limit
    ├── ModelError            a model that cannot be found, fetched or run
    │   ├── UnknownModel
    │   ├── ModelUnavailable  not cached, not in a mirror, download failed
    │   ├── InvalidModel      a file that is not a usable ONNX model
    │   └── WrongTask         a detector asked to classify, say
    ├── VideoError            a file that cannot be read as a video
    └── InvalidLanguage       a language tag that is not one (too long, odd characters)

Every error carries a `code` (stable, for APIs) and a message written for the
person who supplied the input.
"""

from __future__ import annotations


class VisionError(Exception):
    code = "vision_error"

    @property
    def message(self) -> str:
        return str(self)


class ImageError(VisionError):
    code = "bad_image"


class EmptyImage(ImageError):
    code = "empty_image"


class NotAnImage(ImageError):
    code = "not_an_image"


class CorruptImage(ImageError):
    code = "corrupt_image"


class UnsupportedFormat(ImageError):
    code = "unsupported_format"


class ImageTooLarge(ImageError):
    code = "image_too_large"


class ModelError(VisionError):
    code = "model_error"


class UnknownModel(ModelError):
    code = "unknown_model"


class ModelUnavailable(ModelError):
    code = "model_unavailable"


class InvalidModel(ModelError):
    code = "invalid_model"


class WrongTask(ModelError):
    code = "wrong_task"


class VideoError(VisionError):
    """A file that cannot be read as a video: not one, damaged, or too long."""

    code = "bad_video"


class InvalidLanguage(VisionError):
    """A `lang` that is no language tag at all; a well-formed but unshipped one falls back to English."""

    code = "invalid_language"
