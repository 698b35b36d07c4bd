"""Printing results and bad inputs the same way in every command."""

from __future__ import annotations

import json
from typing import Any

import click

from museion.cli._i18n import vision_message

EXIT_BAD_INPUT = 3


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def report_bad_input(name: str, reason: object) -> None:
    click.echo(f"museion: {name}: {vision_message(reason)}", err=True)
