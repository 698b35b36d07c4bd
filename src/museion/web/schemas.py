from __future__ import annotations

from ninja import Schema


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class HealthOut(Schema):
    status: str
    version: str
    models: list[str]
