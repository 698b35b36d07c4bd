"""One convention from a refusal to an HTTP status: services raise coded errors, one table answers them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import Client

from museion.http.errors import BAD_REQUEST, STATUS, status_for

SRC = Path(__file__).resolve().parents[2] / "src" / "museion"
REFUSALS = {"DomainError", "MediaError"}  # those raised with their code first
# Where an ApiError may be raised: the web edge (the API modules, its auth, the shell and its library).
EDGE = ("http/", "web/", "accounts/auth.py")


def codes_in_source() -> set[str]:
    """Every literal code a refusal is raised with, and every `code = "..."` of an error class."""
    codes = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in REFUSALS and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    codes.add(first.value)
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.Assign) and ast.unparse(item.targets[0]) == "code":
                        codes.add(item.value.value)
    codes.update(("workspace_rule", "invalid_email", "invalid_password"))  # made inside their classes
    return codes


def test_every_refusal_code_has_a_status_chosen_for_it() -> None:
    found = codes_in_source()
    assert {"name_taken", "quota_exceeded", "not_an_image", "not_found"} <= found  # the scan sees them
    undecided = sorted(found - set(STATUS) - set(BAD_REQUEST) - {"refused", "vision_error"})
    assert undecided == []


def test_the_table_gives_the_statuses_the_readme_promises() -> None:
    assert [status_for(c) for c in ("not_found", "forbidden", "name_taken", "quota_exceeded")] == [
        404,
        403,
        409,
        413,
    ]
    assert [status_for(c) for c in ("not_an_image", "image_too_large", "corrupt_image", "bad_zip")] == [
        415,
        413,
        400,
        400,
    ]


def test_no_service_raises_an_api_error() -> None:
    raising = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if not str(path.relative_to(SRC)).startswith(EDGE) and path.name != "api.py"
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Raise) and "ApiError(" in ast.unparse(node)
    ]
    assert raising == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "status", "code"), [(b"", 400, "empty_image"), (b"%PDF-1.4", 415, "unsupported_format")]
)
def test_an_image_error_is_answered_by_the_same_table_everywhere(data: bytes, status: int, code: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = Client().post("/api/v1/predict", {"image": SimpleUploadedFile("x.jpg", data)})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert status_for(code) == status
