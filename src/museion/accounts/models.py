"""Users (signed in by email) and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "msn_"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.email


def digest(token: str) -> str:
    # Tokens are 256 random bits, so a plain hash is enough: no dictionary to guess from.
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)  # shown in lists so users can tell tokens apart
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """Create a token; the secret is returned once and only its hash is kept."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name[:100], prefix=secret[:12], digest=digest(secret))
        return token, secret

    @classmethod
    def authenticate(cls, secret: str) -> User | None:
        token = cls.objects.select_related("user").filter(digest=digest(secret)).first()
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        if token.last_used is None or (now - token.last_used).total_seconds() > 60:
            # Written at most once a minute, so busy API clients do not write on every call.
            cls.objects.filter(pk=token.pk).update(last_used=now)
        return token.user


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")  # everything, members included
    EDITOR = "editor", _("Editor")  # albums, media, training
    VIEWER = "viewer", _("Viewer")  # read and predict


# What each role may do; a role includes everything of the roles below it.
ROLE_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    personal = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    members = models.ManyToManyField(User, through="Membership", related_name="workspaces")
    # None: the server's default (MUSEION_WORKSPACE_QUOTA_MB, MUSEION_RETENTION_DAYS); 0: no limit.
    quota_mb = models.PositiveIntegerField(null=True, blank=True)
    retention_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def quota_bytes(self) -> int:
        """The storage its albums may use; 0 for no limit."""
        mb = settings.WORKSPACE_QUOTA_MB if self.quota_mb is None else self.quota_mb
        return mb * 1_000_000

    @property
    def retention(self) -> int:
        """Days a member's stored predictions are kept; 0 for ever."""
        return settings.RETENTION_DAYS if self.retention_days is None else self.retention_days

    def role_of(self, user: User) -> Role | None:
        membership = self.memberships.filter(user=user).first()
        return Role(membership.role) if membership else None

    def allows(self, user: User, needed: Role) -> bool:
        role = self.role_of(user)
        return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")]


INVITATION_PREFIX = "inv_"


class Invitation(models.Model):
    """A role in a workspace, offered through a one-time link mailed to `email`.

    Emails are never verified, so an account is no proof of owning its address: the
    role goes to whoever opens the mailed link and accepts, signed in with any account,
    never to an account for having the email. Only the link's hash is kept, as for tokens.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True)
    created = models.DateTimeField(default=timezone.now)
    # None for invitations made before links existed: they cannot be accepted until sent again.
    digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "email"], name="one_invitation_per_email")
        ]

    secret = ""  # the link's secret, set by `new_secret` and never stored

    def new_secret(self) -> str:
        """A fresh link for this invitation (any earlier one stops working), valid for INVITATION_DAYS."""
        self.secret = INVITATION_PREFIX + secrets.token_urlsafe(32)
        self.digest = digest(self.secret)
        self.expires = timezone.now() + timedelta(days=settings.INVITATION_DAYS)
        return self.secret

    @property
    def expired(self) -> bool:
        return self.expires is None or self.expires <= timezone.now()
