"""Account operations shared by the pages and the API."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from museion.accounts.models import User
from museion.accounts.workspaces import accept_invitations, personal_workspace
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
            personal_workspace(user)
            accept_invitations(user)
            return user
    except IntegrityError:
        raise SignupError("email", "an account with this email already exists") from None
