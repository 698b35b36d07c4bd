"""`museion cleanup`: remove expired predictions and orphaned files (see museion.web.cleanup)."""

from __future__ import annotations

import re
from datetime import timedelta

import click

from museion.cli._output import emit_json

UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> timedelta:
        if isinstance(value, timedelta):
            return value
        found = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", str(value))
        if not found or int(found[1]) == 0:
            self.fail(f"{value!r} is not a duration such as 30d, 12h or 90m", param, ctx)
        return timedelta(**{UNITS[found[2]]: int(found[1])})


@click.command()
@click.option(
    "--older-than",
    type=Duration(),
    help="Remove stored predictions older than this (30d, 12h, 90m), whatever each workspace keeps.",
)
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def cleanup(older_than: timedelta | None, dry_run: bool, as_json: bool) -> None:
    """Remove stored predictions past their retention, failed uploads and orphaned files (daily too)."""
    from museion.cli.serve import _django_settings, _environment

    _environment()
    _django_settings()
    from museion.web.cleanup import cleanup as run

    report = run(older_than, dry_run=dry_run)
    if as_json:
        emit_json(report.as_dict())
        return
    verb = "would remove" if dry_run else "removed"
    click.echo(
        f"{verb} {report.predictions} stored predictions, {report.failed_videos} videos whose frames "
        f"never came, {report.review_photos} visitors' photos past their retention and "
        f"{report.orphans} orphaned files: {report.removed_bytes / 1e6:.1f} MB"
    )
    if report.missing:
        click.echo(f"{report.missing} stored rows name a file that is missing, such as:", err=True)
        for name in report.missing_files[:5]:
            click.echo(f"  {name}", err=True)
