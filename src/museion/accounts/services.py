"""Account operations shared by the pages and the API."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from museion.accounts.models import ApiToken, User
from museion.accounts.workspaces import personal_workspace
from museion.errors import DomainError


class SignupError(DomainError):
    """A sign-up refused; `field` says which field is wrong (code `invalid_email`, `invalid_password`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid_{field}", message)
        self.field = field


def sign_up(email: str, password: str) -> User:
    """Create an account, or raise SignupError saying which field is wrong and why."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise SignupError("email", "enter a valid email address") from None
    try:
        password_validation.validate_password(password, User(email=email))
    except ValidationError as exc:
        raise SignupError("password", " ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise SignupError("email", "an account with this email already exists")
            user = User.objects.create_user(email=email, password=password)
            # No invitation is accepted here: the email is not verified, so having it proves nothing.
            personal_workspace(user)
            return user
    except IntegrityError:
        raise SignupError("email", "an account with this email already exists") from None


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
        raise PasswordError("old_password", "the old password is not right")
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
