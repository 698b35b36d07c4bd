"""Account operations shared by the pages and the API."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from museion.accounts.models import ApiToken, User
from museion.accounts.workspaces import accept_invitation, find_invitation, personal_workspace
from museion.errors import DomainError


class SignupError(DomainError):
    """A sign-up refused; `field` says which field is wrong (code `invalid_email`, `invalid_password`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid_{field}", message)
        self.field = field


class SignupClosed(DomainError):
    """Sign-up refused by the server's MUSEION_SIGNUP: `signup_closed`, or `invitation_required`."""


def sign_up(email: str, password: str, invitation: str = "") -> User:
    """Create an account as MUSEION_SIGNUP allows, or raise saying why not.

    With `invitation` (the secret of a workspace invitation link) the account joins that
    workspace at once and the link is used up: in `invite` mode that is the only way in, so
    one link makes one account.
    """
    check_signup(invitation)
    with transaction.atomic():
        user = create_account(email, password)
        if invitation:
            accept_invitation(invitation, user)
        return user


def check_signup(invitation: str = "") -> None:
    """Raise SignupClosed when MUSEION_SIGNUP refuses this sign-up, InvitationError for a bad link."""
    if settings.SIGNUP == "closed":
        raise SignupClosed(
            "signup_closed", "sign-up is closed on this server: ask its operator for an account"
        )
    if settings.SIGNUP == "invite" and not invitation:
        raise SignupClosed(
            "invitation_required",
            "sign-up on this server needs a workspace invitation: open the link you were sent",
        )
    if invitation:
        find_invitation(invitation)  # a bad link is refused before any account is made


def create_account(email: str, password: str, *, staff: bool = False) -> User:
    """An account with its personal workspace, whatever MUSEION_SIGNUP says (operators use this)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise SignupError("email", _("enter a valid email address")) from None
    try:
        password_validation.validate_password(password, User(email=email))
    except ValidationError as exc:
        raise SignupError("password", " ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise SignupError("email", _("an account with this email already exists"))
            user = User.objects.create_user(email=email, password=password, is_staff=staff)
            # No invitation is accepted for the email: it is not verified, so having it proves nothing.
            personal_workspace(user)
            return user
    except IntegrityError:
        raise SignupError("email", _("an account with this email already exists")) from None


def set_active(user: User, active: bool) -> int:
    """Let an account sign in again, or stop it: its sessions stop working (Django's backend refuses an
    inactive user) and its API tokens are revoked. Returns how many tokens were revoked."""
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        return 0 if active else revoke_api_tokens(user)


class PasswordError(DomainError):
    """A password change refused (code `invalid_old_password`, `invalid_new_password`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid_{field}", message)
        self.field = field


def change_password(
    user: User, old: str, new: str, *, revoke_tokens: bool, keep: ApiToken | None = None
) -> int:
    """Set a new password (the old one checked, the rules applied); returns how many tokens were revoked.

    Changing a password signs out the user's other sessions (Django checks a session against the
    password hash) but tokens would live on, so they go too when asked: a password is often changed
    because it leaked.
    """
    if not user.check_password(old):
        raise PasswordError("old_password", _("the old password is not right"))
    _check_rules(user, new)
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        return revoke_api_tokens(user, keep=keep) if revoke_tokens else 0


def reset_password(user: User, new: str) -> int:
    """The operator's reset of a forgotten password: whoever held the old one may hold tokens, so all go."""
    _check_rules(user, new)
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        return revoke_api_tokens(user)


def _check_rules(user: User, password: str) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise PasswordError("new_password", " ".join(exc.messages)) from None


def revoke_api_tokens(user: User, *, keep: ApiToken | None = None) -> int:
    """Every API token of the user but `keep` (the one making the request)."""
    tokens = ApiToken.objects.filter(user=user)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    return tokens.delete()[0]
