from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser
from django.http.request import RawPostDataException
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from museion.http.multipart import MAX_PARTS, read_form, sanitize_file_name, split

BOUNDARY = "----museion-test-boundary"
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg \r\n-- but close \r\n\r\n"


def disposition(name: str, filename: str | None = None) -> str:
    return f'Content-Disposition: form-data; name="{name}"' + (
        "" if filename is None else f'; filename="{filename}"'
    )


def body(*parts: tuple[list[str], bytes], boundary: str = BOUNDARY, preamble: bytes = b"") -> bytes:
    out = preamble
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode() + "\r\n".join(headers).encode() + b"\r\n\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def request_for(data: bytes, boundary: str = BOUNDARY) -> HttpRequest:
    return RequestFactory().generic(
        "POST", "/api/v1/predict", data, content_type=f"multipart/form-data; boundary={boundary}"
    )


def seen(request: HttpRequest) -> tuple[dict, dict]:
    files = {
        name: [(f.name, f.content_type, f.charset, f.size, f.read()) for f in found]
        for name, found in request.FILES.lists()
    }
    return dict(request.POST.lists()), files


def fast_and_django(data: bytes, boundary: str = BOUNDARY) -> tuple[bool, tuple, tuple]:
    """Whether read_form parsed `data` itself, what it gave, and what Django's parser gives."""
    fast = request_for(data, boundary)
    read_form(fast, len(data))
    parsed = "_post" in vars(fast) and "_files" in vars(fast)
    return parsed, seen(fast), seen(request_for(data, boundary))


def test_it_reads_a_photo_and_its_fields_itself():
    data = body(
        ([disposition("image", "kite.jpg"), "Content-Type: image/jpeg"], PHOTO),
        ([disposition("model")], b"coco-yolox-nano"),
        ([disposition("top_k")], b"3"),
    )
    parsed, got, django = fast_and_django(data)
    assert parsed
    assert got == django
    assert got[1]["image"] == [("kite.jpg", "image/jpeg", None, len(PHOTO), PHOTO)]
    assert got[0] == {"model": ["coco-yolox-nano"], "top_k": ["3"]}


def test_it_refuses_the_raw_body_afterwards_like_django():
    fast = request_for(data := body(([disposition("image", "a.jpg")], PHOTO)))
    read_form(fast, len(data))
    with pytest.raises(RawPostDataException):
        _ = fast.body


def test_it_reads_a_file_input_sent_empty_as_a_field_like_django():
    data = body(([disposition("image", ""), "Content-Type: application/octet-stream"], b""))
    _, got, django = fast_and_django(data)
    assert got == django == ({"image": [""]}, {})


def test_it_skips_a_file_whose_name_cleans_away_like_django():
    _, got, django = fast_and_django(body(([disposition("image", "..")], PHOTO)))
    assert got == django == ({}, {})


def test_it_keeps_repeated_fields_and_files_in_order():
    data = body(
        ([disposition("files", "one.jpg")], b"1"),
        ([disposition("files", "two.jpg")], b"22"),
        ([disposition("tag")], "déjà vu".encode()),
        ([disposition("tag")], b""),
    )
    parsed, got, django = fast_and_django(data)
    assert parsed
    assert got == django
    assert [f[0] for f in got[1]["files"]] == ["one.jpg", "two.jpg"]
    assert got[0]["tag"] == ["déjà vu", ""]


HOSTILE_NAMES = ["../../etc/passwd", "C:\\Windows\\evil.exe", "a/b\\c.jpg", "..", ".", "nul\x00byte.jpg",
                 "x" * 300 + ".jpg", "&lt;script&gt;.jpg", "tab\there.png"]  # fmt: skip


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_it_cleans_file_names_exactly_as_django_does(name):
    expected = MultiPartParser.sanitize_file_name(None, name) or ""  # type: ignore[arg-type]
    assert sanitize_file_name(name) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(body(([disposition("image", "a.jpg")], PHOTO), preamble=b"preamble\r\n"), id="preamble"),
        pytest.param(
            body(([disposition("image", "a.jpg"), "Content-Transfer-Encoding: base64"], b"aGk=")),
            id="transfer-encoding",
        ),
        pytest.param(body(*[([disposition(f"f{i}")], b"v") for i in range(MAX_PARTS + 1)]), id="many-parts"),
        pytest.param(body(([disposition("note")], b"n" * 70_000)), id="big-field"),
        pytest.param(body(([disposition("image", "a.jpg")], PHOTO))[:-30], id="truncated"),
        pytest.param(body(([disposition("image", "a.jpg")], PHOTO), boundary="other"), id="wrong-boundary"),
        pytest.param(body((["Content-Disposition: attachment; name=x"], b"v")), id="not-form-data"),
        pytest.param(body((["Content-Disposition: form-data"], b"v")), id="no-name"),
        pytest.param(body((["garbage"], b"v")), id="bad-header"),
    ],
)
def test_it_leaves_unusual_bodies_to_djangos_parser(data):
    assert split(data, BOUNDARY.encode()) is None
    parsed, got, django = fast_and_django(data)
    assert not parsed  # Django's parser did, from the body read once
    assert got == django


FILENAME_CHARACTERS = st.characters(blacklist_characters='"\r\n', blacklist_categories=["Cs"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_characters='"\\\r\n', blacklist_categories=["Cs"]), min_size=1),
            st.one_of(st.none(), st.text(FILENAME_CHARACTERS)),
            st.binary(max_size=300),
        ),
        max_size=MAX_PARTS,
    )
)
def test_it_agrees_with_djangos_parser(parts):
    data = body(*[([disposition(name, filename)], value) for name, filename, value in parts])
    parsed, got, django = fast_and_django(data)
    assert got == django
    assert parsed or any(not name.strip() for name, _, _ in parts)  # blank names: Django's parser
