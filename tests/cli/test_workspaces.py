"""`museion workspaces`: an operator lists storage and sets a workspace's own quota and retention."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from museion.accounts.models import User, Workspace
from museion.accounts.workspaces import create_workspace
from museion.cli import cli


@pytest.fixture
def museum(db) -> Workspace:
    owner = User.objects.create_user(email="curator@example.org", password="a sturdy passphrase 42")
    return create_workspace(owner, "Museum")


def invoke(*args: str):
    return CliRunner().invoke(cli, ["workspaces", *args])


def test_it_lists_each_workspace_with_its_storage_and_limits(museum: Workspace, settings) -> None:
    settings.WORKSPACE_QUOTA_MB = 500
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    row = next(r for r in json.loads(result.stdout) if r["id"] == museum.pk)
    assert row == {"id": museum.pk, "name": "Museum", "personal": False, "used_mb": 0.0, "quota_mb": 500,
                   "own_quota": False, "retention_days": 0, "own_retention": False}  # fmt: skip


def test_it_sets_a_workspace_quota_and_retention_and_back_to_the_defaults(museum: Workspace) -> None:
    result = invoke("set", str(museum.pk), "--quota-mb", "2000", "--retention-days", "90")
    assert result.exit_code == 0, result.output
    museum.refresh_from_db()
    assert (museum.quota_mb, museum.retention_days) == (2000, 90)
    assert invoke("set", str(museum.pk), "--default").exit_code == 0
    museum.refresh_from_db()
    assert (museum.quota_mb, museum.retention_days) == (None, None)


def test_it_says_which_workspace_does_not_exist(db) -> None:
    result = invoke("set", "999999", "--quota-mb", "1")
    assert result.exit_code == 1
    assert "no workspace 999999" in result.output


@pytest.mark.parametrize("args", [(), ("--quota-mb", "-1"), ("--retention-days", "soon")])
def test_it_refuses_a_meaningless_setting(museum: Workspace, args: tuple[str, ...]) -> None:
    assert invoke("set", str(museum.pk), *args).exit_code == 2
