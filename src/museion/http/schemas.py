"""The API's one error shape, for the OpenAPI schema of every endpoint."""

from __future__ import annotations

from ninja import Schema


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody
