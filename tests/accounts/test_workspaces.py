from __future__ import annotations

import pytest

from museion.accounts.models import Invitation, Membership, Role, User
from museion.accounts.services import sign_up
from museion.accounts.workspaces import (
    WorkspaceError,
    accept_invitation,
    create_workspace,
    invite,
    personal_workspace,
    remove_member,
    set_role,
    workspaces_of,
)

PASSWORD = "a sturdy passphrase 42"


@pytest.fixture
def owner(db) -> User:
    return sign_up("owner@example.org", PASSWORD)


def test_signing_up_makes_a_personal_workspace_owned_by_the_user(owner: User) -> None:
    workspace = personal_workspace(owner)
    assert workspace.personal
    assert workspace.role_of(owner) == Role.OWNER
    assert personal_workspace(owner) == workspace


def join(workspace, email: str, role: Role, by: User) -> User:
    """Invite `email` and accept the link as its account (made now if there is none)."""
    invitation = invite(workspace, email, role, by)
    assert isinstance(invitation, Invitation)
    user = User.objects.filter(email=email).first() or sign_up(email, PASSWORD)
    accept_invitation(invitation.secret, user)
    return user


def test_an_invitation_becomes_a_membership_only_through_its_link(owner: User) -> None:
    shared = create_workspace(owner, "Museum")
    invitation = invite(shared, "New@Example.org", Role.EDITOR, owner)
    assert isinstance(invitation, Invitation)
    newcomer = sign_up("new@example.org", PASSWORD)
    assert shared.role_of(newcomer) is None  # signing up with the address is not enough
    accept_invitation(invitation.secret, newcomer)
    assert shared.role_of(newcomer) == Role.EDITOR
    assert not Invitation.objects.exists()
    assert shared in workspaces_of(newcomer, Role.EDITOR)


def test_a_personal_workspace_gets_no_second_owner(owner: User) -> None:
    other = sign_up("other@example.org", PASSWORD)
    with pytest.raises(WorkspaceError, match="one owner"):
        invite(personal_workspace(owner), other.email, Role.OWNER, owner)
    assert personal_workspace(other).role_of(other) == Role.OWNER
    assert personal_workspace(owner).role_of(other) is None


def test_the_last_owner_can_neither_step_down_nor_leave(owner: User) -> None:
    shared = create_workspace(owner, "Museum")
    mine = Membership.objects.get(workspace=shared, user=owner)
    with pytest.raises(WorkspaceError, match="needs an owner"):
        set_role(mine, Role.VIEWER)
    with pytest.raises(WorkspaceError, match="needs an owner"):
        remove_member(mine)
    with pytest.raises(WorkspaceError, match="needs an owner"):
        invite(shared, owner.email, Role.EDITOR, owner)
    join(shared, "other@example.org", Role.OWNER, owner)
    set_role(mine, Role.VIEWER)
    assert shared.role_of(owner) == Role.VIEWER


def test_roles_include_the_ones_below(owner: User) -> None:
    shared = create_workspace(owner, "Museum")
    viewer = join(shared, "viewer@example.org", Role.VIEWER, owner)
    assert shared.allows(owner, Role.EDITOR)
    assert shared.allows(viewer, Role.VIEWER)
    assert not shared.allows(viewer, Role.EDITOR)
    assert shared not in workspaces_of(viewer, Role.EDITOR)
