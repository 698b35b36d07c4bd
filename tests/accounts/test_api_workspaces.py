"""`/api/v1/workspaces`: list, members, invite, role change, as owner, editor, viewer and outsider.

The same rules as the workspace pages (test_workspaces.py): an outsider gets the 404 of a missing
workspace, members see the members, only owners invite and change roles, and a refused call
changes nothing.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from museion.accounts.models import Invitation, Membership, Role
from museion.accounts.workspaces import personal_workspace
from tests.albums.conftest import Team, bearer, make_team

ROLES = ("owner", "editor", "viewer", "outsider")
READ = {"owner": 200, "editor": 200, "viewer": 200, "outsider": 404}
OWNERS_ONLY = {"owner": None, "editor": 403, "viewer": 403, "outsider": 404}
NEWCOMER = "newcomer@example.org"


@pytest.fixture
def team(db) -> Team:
    return make_team()


def call(client: Client, team: Team, role: str, method: str, path: str, body: dict | None = None):
    headers = team.headers[role]
    if body is None:
        return getattr(client, method)(f"/api/v1{path}", headers=headers)
    return getattr(client, method)(f"/api/v1{path}", body, content_type="application/json", headers=headers)


def membership(team: Team, role: str) -> Membership:
    return team.workspace.memberships.get(user=team.users[role])


@pytest.mark.parametrize("role", ROLES)
def test_each_persona_lists_its_own_workspaces_with_its_role(client: Client, team: Team, role: str) -> None:
    response = call(client, team, role, "get", "/workspaces")
    assert response.status_code == 200
    listed = response.json()
    personal = personal_workspace(team.users[role])
    assert listed[0] == {
        "id": personal.pk,
        "name": personal.name,
        "personal": True,
        "role": "owner",
        "members": 1,
    }
    shared = [w for w in listed if w["id"] == team.workspace.pk]
    if role == "outsider":
        assert shared == []
    else:
        assert shared == [
            {
                "id": team.workspace.pk,
                "name": team.workspace.name,
                "personal": False,
                "role": role,
                "members": 3,
            }
        ]


def test_listing_workspaces_needs_a_signed_in_caller(client: Client, team: Team) -> None:
    response = call(client, team, "anonymous", "get", "/workspaces")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("role", ROLES)
def test_members_see_the_members_and_an_outsider_gets_404(client: Client, team: Team, role: str) -> None:
    response = call(client, team, role, "get", f"/workspaces/{team.workspace.pk}/members")
    assert response.status_code == READ[role]
    if role == "outsider":
        assert response.json() == call(client, team, role, "get", "/workspaces/999999/members").json()
        return
    members = {m["email"]: m["role"] for m in response.json()}
    assert members == {team.owner.email: "owner", team.editor.email: "editor", team.viewer.email: "viewer"}
    assert {m["id"] for m in response.json()} == set(team.workspace.memberships.values_list("pk", flat=True))


@pytest.mark.parametrize("role", ROLES)
def test_only_an_owner_invites_and_gets_the_link_once(client: Client, team: Team, role: str) -> None:
    body = {"email": NEWCOMER, "role": "editor"}
    response = call(client, team, role, "post", f"/workspaces/{team.workspace.pk}/invitations", body)
    if OWNERS_ONLY[role]:
        assert response.status_code == OWNERS_ONLY[role]
        assert not Invitation.objects.exists()
        assert mail.outbox == []
        return
    assert response.status_code == 201
    made = response.json()
    assert (made["email"], made["role"], made["mailed"]) == (NEWCOMER, "editor", True)
    assert made["link"] in mail.outbox[0].body
    # The link is the invitation page's; its last part is the token the accept endpoint takes.
    newcomer = make_team("-new").owner
    _, token = made["link"].rstrip("/").rsplit("/", 1)
    accepted = client.post(
        "/api/v1/auth/invitations/accept",
        {"token": token},
        content_type="application/json",
        headers=bearer(newcomer),
    )
    assert accepted.status_code == 200
    assert team.workspace.role_of(newcomer) == Role.EDITOR


def test_inviting_a_member_changes_their_role_instead(client: Client, team: Team) -> None:
    body = {"email": team.viewer.email.upper(), "role": "editor"}
    response = call(client, team, "owner", "post", f"/workspaces/{team.workspace.pk}/invitations", body)
    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    assert team.workspace.role_of(team.viewer) == Role.EDITOR
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"email": "not an address", "role": "viewer"}, "invalid_email"),
        ({"email": NEWCOMER, "role": "boss"}, None),
    ],
)
def test_a_bad_invitation_is_a_400(client: Client, team: Team, body: dict, code: str | None) -> None:
    response = call(client, team, "owner", "post", f"/workspaces/{team.workspace.pk}/invitations", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == (code or "invalid_request")
    assert not Invitation.objects.exists()


def test_a_personal_workspace_gets_no_second_owner_by_invitation(client: Client, team: Team) -> None:
    personal = personal_workspace(team.owner)
    body = {"email": NEWCOMER, "role": "owner"}
    response = call(client, team, "owner", "post", f"/workspaces/{personal.pk}/invitations", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "workspace_rule"


@pytest.mark.parametrize("role", ROLES)
def test_only_an_owner_changes_a_role(client: Client, team: Team, role: str) -> None:
    viewer = membership(team, "viewer")
    path = f"/workspaces/{team.workspace.pk}/members/{viewer.pk}"
    response = call(client, team, role, "patch", path, {"role": "editor"})
    viewer.refresh_from_db()
    if OWNERS_ONLY[role]:
        assert response.status_code == OWNERS_ONLY[role]
        assert viewer.role == Role.VIEWER
        return
    assert response.status_code == 200
    assert response.json() == {
        "id": viewer.pk,
        "user": team.viewer.pk,
        "email": team.viewer.email,
        "role": "editor",
        "joined": response.json()["joined"],
    }
    assert viewer.role == Role.EDITOR


def test_the_last_owner_cannot_step_down(client: Client, team: Team) -> None:
    owner = membership(team, "owner")
    path = f"/workspaces/{team.workspace.pk}/members/{owner.pk}"
    response = call(client, team, "owner", "patch", path, {"role": "viewer"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "workspace_rule"
    assert "needs an owner" in response.json()["error"]["message"]
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_a_membership_of_another_workspace_is_404(client: Client, team: Team) -> None:
    elsewhere = make_team("-other")
    foreign = elsewhere.workspace.memberships.get(user=elsewhere.viewer)
    path = f"/workspaces/{team.workspace.pk}/members/{foreign.pk}"
    response = call(client, team, "owner", "patch", path, {"role": "editor"})
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.VIEWER
