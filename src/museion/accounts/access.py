"""Who may do what in a workspace: the one check behind every page, endpoint and service.

A workspace the user is no member of answers as a missing one (`NotFound`), so
that nobody learns what exists; a member below the role an action needs gets
`Forbidden`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from museion.accounts.models import ROLE_RANK, Role, User, Workspace
from museion.errors import Forbidden, NotFound


def require(workspace: Workspace, user: User, needed: Role = Role.VIEWER, what: str = "this") -> Role:
    """The user's role in the workspace, if it is at least `needed`; `what` names the action refused."""
    role = workspace.role_of(user)
    if role is None:
        raise NotFound(_("no such workspace"))
    if ROLE_RANK[role] < ROLE_RANK[needed]:
        raise Forbidden(
            _("%(what)s needs the %(role)s role in the workspace")
            % {"what": _("this") if what == "this" else what, "role": needed.label.lower()}
        )
    return role


def workspace_for(user: User, workspace_id: int, needed: Role = Role.VIEWER, what: str = "this") -> Workspace:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        raise NotFound(_("no such workspace"))
    require(workspace, user, needed, what)
    return workspace
