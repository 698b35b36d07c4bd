"""`museion users`: the operator's accounts: create (whatever MUSEION_SIGNUP says), list, set a
password, deactivate and activate again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from museion.cli._i18n import _
from museion.cli._output import emit_json
from museion.cli.workspaces import _setup

if TYPE_CHECKING:
    from museion.accounts.models import User


@click.group()
def users() -> None:
    """Accounts: create, list, set a password, deactivate."""


def _account(email: str) -> User:
    from museion.accounts.models import User

    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise click.ClickException(
            _("no account has the email %(email)s; `museion users list` shows them") % {"email": repr(email)}
        )
    return user


@users.command("create")
@click.argument("email")
@click.password_option("--password", prompt="Password", help="Asked for when not given.")
@click.option("--staff", is_flag=True, help="Mark the account as staff (an operator).")
def create_command(email: str, password: str, staff: bool) -> None:
    """Create an account for EMAIL with its personal workspace, even when sign-up is closed."""
    _setup()
    from museion.accounts.services import SignupError, create_account

    try:
        user = create_account(email, password, staff=staff)
    except SignupError as exc:
        raise click.ClickException(
            _("the %(field)s is refused: %(reason)s") % {"field": exc.field, "reason": exc.message}
        ) from None
    click.echo(_("%(email)s: account %(id)s created") % {"email": user.email, "id": user.pk})


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_command(as_json: bool) -> None:
    """Every account: email, active or not, when it joined and last signed in."""
    _setup()
    from django.db.models import Count

    from museion.accounts.models import User

    rows = [
        {
            "id": u.pk,
            "email": u.email,
            "active": u.is_active,
            "staff": u.is_staff,
            "joined": u.date_joined.isoformat(timespec="seconds"),
            "last_login": u.last_login.isoformat(timespec="seconds") if u.last_login else None,
            "workspaces": u.workspace_count,
        }
        for u in User.objects.annotate(workspace_count=Count("memberships")).order_by("id")
    ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        state = _("active") if r["active"] else _("deactivated")
        seen = r["last_login"][:16].replace("T", " ") if r["last_login"] else _("never")
        click.echo(
            f"{r['id']:>5}  {r['email'][:40]:<40}  {state:<11}  "
            + _("last sign-in %(when)s") % {"when": seen}
        )


def _set_password(email: str, password: str) -> None:
    _setup()
    from museion.accounts.services import PasswordError, reset_password

    user = _account(email)
    try:
        revoked = reset_password(user, password)
    except PasswordError as exc:
        raise click.ClickException(_("the password is refused: %(reason)s") % {"reason": exc}) from None
    done = _("%(email)s: password set, signed out everywhere, %(revoked)s API token(s) revoked")
    click.echo(done % {"email": user.email, "revoked": revoked})


@users.command("set-password")
@click.argument("email")
@click.password_option("--password", prompt="New password", help="Asked for when not given.")
def set_password_command(email: str, password: str) -> None:
    """Give EMAIL's account a new password; its sessions end and its API tokens are revoked."""
    _set_password(email, password)


@users.command("reset-password", hidden=True)
@click.argument("email")
@click.password_option("--password", prompt="New password", help="Asked for when not given.")
def reset_password_command(email: str, password: str) -> None:
    """The older name of set-password."""
    _set_password(email, password)


@users.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Stop EMAIL's account from signing in: its sessions end, its API tokens are revoked; its albums stay."""
    _setup()
    from museion.accounts.services import set_active

    user = _account(email)
    revoked = set_active(user, False)
    done = _("%(email)s: deactivated, signed out everywhere, %(revoked)s API token(s) revoked")
    click.echo(done % {"email": user.email, "revoked": revoked})


@users.command("activate")
@click.argument("email")
def activate_command(email: str) -> None:
    """Let a deactivated account sign in again."""
    _setup()
    from museion.accounts.services import set_active

    user = _account(email)
    set_active(user, True)
    click.echo(_("%(email)s: active") % {"email": user.email})
