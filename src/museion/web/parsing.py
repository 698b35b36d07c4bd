"""How the API reads its input: JSON bodies (objects only), query strings and form fields, no NUL in text.

PostgreSQL cannot store a NUL character (`\\u0000`) in a text or JSON column and
raises on it (a 500), where SQLite stores it; Django's forms refuse it. Every
text the API receives passes through this parser, so one check covers every
schema, query and form field (and the URL, which holds the path parameters).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.parser import Parser

from museion.http.errors import ApiError

NUL = "\x00"


class TextParser(Parser):
    """Ninja's JSON parser, refusing a NUL anywhere in what it hands the schemas."""

    def parse_body(self, request: HttpRequest) -> dict:
        refuse_nul("the URL", request.path_info)
        data = json.loads(request.body)
        if not isinstance(data, dict):
            # Every JSON body of the API is an object; ninja would read `[null, null]` as one with no fields.
            raise ApiError(400, "invalid_request", _("the body must be a JSON object"))
        for where, text in _texts(data):
            refuse_nul(where, text)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict:
        refuse_nul("the URL", request.path_info)
        for key, values in data.lists():
            refuse_nul("a field name", key)
            for value in values:
                if isinstance(value, str):
                    refuse_nul(key, value)
        return super().parse_querydict(data, list_fields, request)


def refuse_nul(where: str, text: str) -> None:
    if NUL in text:
        raise ApiError(
            400,
            "invalid_request",
            _("%(where)s: text may not contain NUL characters (\\u0000)") % {"where": where},
        )


def _texts(value: object) -> Iterator[tuple[str, str]]:
    """Every string in a parsed JSON document, keys included, with the field it was under.

    Walked with a stack, not recursion: a body nested as deep as the JSON parser allows stays a 400.
    """
    stack: list[tuple[str, object]] = [("body", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield "a field name", key
                stack.append((key, child))
        elif isinstance(item, list):
            stack.extend((where, child) for child in item)
