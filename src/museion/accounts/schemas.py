from __future__ import annotations

from ninja import Schema


class SignupIn(Schema):
    email: str
    password: str


class UserOut(Schema):
    id: int
    email: str


class TokenIn(Schema):
    email: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
