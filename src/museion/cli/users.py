"""`museion users`: the operator's password reset (Museion sends no reset mail)."""

from __future__ import annotations

import click

from museion.cli.workspaces import _setup


@click.group()
def users() -> None:
    """Accounts: reset a forgotten password."""


@users.command("reset-password")
@click.argument("email")
@click.password_option("--password", prompt="New password", help="Asked for when not given.")
def reset_password_command(email: str, password: str) -> None:
    """Give EMAIL's account a new password; its sessions end and its API tokens are revoked."""
    _setup()
    from museion.accounts.models import User
    from museion.accounts.services import PasswordError, reset_password

    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise click.ClickException(f"no account has the email {email!r}")
    try:
        revoked = reset_password(user, password)
    except PasswordError as exc:
        raise click.ClickException(f"the password is refused: {exc}") from None
    click.echo(f"{user.email}: password reset, signed out everywhere, {revoked} API token(s) revoked")
