"""A fast reading of the plain multipart forms API clients send, Django's parser otherwise.

A photo posted to `/api/v1/predict` is one file and a few fields. Django's
parser reads such a body 64 KiB at a time through Python iterators, which cost
more than a millisecond per photo with the GIL held, as much as the model
itself. Here the body, whose size the API guard has already checked, is read in
one call and cut at its boundaries with `bytes.find`. Anything unusual (a
preamble, other part headers, many parts, big fields) is handed back to Django's
parser untouched, so its limits and its answers to odd input still apply.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.http import parse_header_parameters

MAX_PARTS = 16
MAX_FIELD_BYTES = 64 * 1024  # a bigger text field is left to Django's own limits
KNOWN_HEADERS = {"content-disposition", "content-type"}
ASCII_SPACE = " \t\n\r\x0b\x0c"


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    charset: str | None
    data: bytes


def read_form(request: HttpRequest, length: int) -> None:
    """Read a multipart body in one call and give Django its POST and FILES."""
    body = request._stream.read(length)  # type: ignore[attr-defined]
    _, params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    boundary = params.get("boundary", "")
    parts = split(body, boundary.encode("ascii", "replace")) if boundary else None
    if parts is None:
        # Django's parser reads from here instead of the socket.
        request._stream = io.BytesIO(body)  # type: ignore[attr-defined]
        return
    # As after Django's own parsing: the stream is read and `request.body` refused. Keeping
    # the body here would hold it until the request's reference cycles are collected.
    request._stream, request._read_started = io.BytesIO(), True  # type: ignore[attr-defined]
    post, files = QueryDict(mutable=True), MultiValueDict()
    for part in parts:
        if part.filename is None:
            post.appendlist(part.name, part.data.decode("utf-8", "replace"))
        elif part.filename:  # as in Django, a file whose name cleans away to nothing is skipped
            files.appendlist(part.name, _uploaded(part))
    post._mutable = False
    request._post, request._files = post, files  # type: ignore[attr-defined]


def split(body: bytes, boundary: bytes) -> list[Part] | None:
    """The parts of `body`, or None where Django's parser should decide."""
    delimiter = b"--" + boundary
    if not boundary or not body.startswith(delimiter):
        return None
    parts: list[Part] = []
    at = len(delimiter)
    while not body.startswith(b"--", at):
        if not body.startswith(b"\r\n", at) or len(parts) == MAX_PARTS:
            return None
        head_end = body.find(b"\r\n\r\n", at + 2)
        end = body.find(b"\r\n" + delimiter, head_end + 4) if head_end >= 0 else -1
        part = _part(body[at + 2 : head_end], body[head_end + 4 : end]) if end >= 0 else None
        if part is None:
            return None
        parts.append(part)
        at = end + 2 + len(delimiter)
    return parts


def _part(head: bytes, data: bytes) -> Part | None:
    try:
        lines = head.decode().split("\r\n")
    except UnicodeDecodeError:
        return None
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or name.strip().lower() not in KNOWN_HEADERS:
            return None
        headers[name.strip().lower()] = value.strip()
    kind, params = parse_header_parameters(headers.get("content-disposition", ""))
    name = params.get("name", "").strip(ASCII_SPACE)  # as Django strips it (as bytes)
    if kind != "form-data" or not name:
        return None
    filename = params.get("filename") or None  # as in Django, `filename=""` makes a text field
    if filename is None and len(data) > MAX_FIELD_BYTES:
        return None
    content_type, type_params = parse_header_parameters(headers.get("content-type", ""))
    return Part(
        name,
        None if filename is None else sanitize_file_name(filename),
        content_type,
        type_params.get("charset"),
        data,
    )


def sanitize_file_name(name: str) -> str:
    """The last path component, printable characters only: what Django's parser keeps.

    An empty result means a file to skip, as Django does.
    """
    name = html.unescape(name).rsplit("/")[-1].rsplit("\\")[-1]
    name = "".join(char for char in name if char.isprintable())
    return "" if name in {".", ".."} else name


def _uploaded(part: Part) -> InMemoryUploadedFile:
    return InMemoryUploadedFile(
        io.BytesIO(part.data), part.name, part.filename, part.content_type, len(part.data), part.charset
    )
