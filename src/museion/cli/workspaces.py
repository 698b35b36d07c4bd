"""`museion workspaces`: the operator's view of workspaces, their storage and their limits."""

from __future__ import annotations

import click

from museion.cli._i18n import _
from museion.cli._output import emit_json


def _setup() -> None:
    from museion.cli.serve import _django_settings, _environment

    _environment()
    _django_settings()


def _row(workspace: object) -> dict:
    from museion.albums.quota import storage_used

    return {
        "id": workspace.pk,
        "name": workspace.name,
        "personal": workspace.personal,
        "used_mb": round(storage_used(workspace) / 1e6, 1),
        "quota_mb": workspace.quota_bytes // 1_000_000,
        "own_quota": workspace.quota_mb is not None,
        "retention_days": workspace.retention,
        "own_retention": workspace.retention_days is not None,
    }


@click.group()
def workspaces() -> None:
    """List workspaces with their storage, and set their quota and retention."""


@workspaces.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_workspaces(as_json: bool) -> None:
    """Every workspace: storage used, quota (0: none), retention in days (0: for ever)."""
    _setup()
    from museion.accounts.models import Workspace

    rows = [_row(w) for w in Workspace.objects.order_by("id")]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        quota = f"{r['quota_mb']} MB" if r["quota_mb"] else "no quota"
        keep = f"{r['retention_days']} days" if r["retention_days"] else "for ever"
        click.echo(f"{r['id']:>5}  {r['name'][:40]:<40}  {r['used_mb']:>9.1f} MB used, {quota}, keeps {keep}")


@workspaces.command("set")
@click.argument("workspace_id", type=int)
@click.option("--quota-mb", type=click.IntRange(0), help="Storage its albums may use (0: no limit).")
@click.option(
    "--retention-days", type=click.IntRange(0), help="Days members' predictions are kept (0: for ever)."
)
@click.option("--default", "defaults", is_flag=True, help="Back to the server-wide settings for both.")
def set_limits(workspace_id: int, quota_mb: int | None, retention_days: int | None, defaults: bool) -> None:
    """Give a workspace its own quota and retention, instead of the server-wide settings."""
    if quota_mb is None and retention_days is None and not defaults:
        raise click.UsageError(_("give --quota-mb, --retention-days or --default"))
    _setup()
    from museion.accounts.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        raise click.ClickException(
            _("no workspace %(id)s; `museion workspaces list` shows them") % {"id": workspace_id}
        )
    if defaults:
        workspace.quota_mb = workspace.retention_days = None
    if quota_mb is not None:
        workspace.quota_mb = quota_mb
    if retention_days is not None:
        workspace.retention_days = retention_days
    workspace.save(update_fields=["quota_mb", "retention_days"])
    emit_json(_row(workspace))
