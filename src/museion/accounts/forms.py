from __future__ import annotations

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils.translation import gettext_lazy as _

from museion.accounts.models import User
from museion.accounts.services import reset_password


class SignupForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, help_text=_("At least 8 characters, not too common.")
    )


class SigninForm(AuthenticationForm):
    username = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True}))

    def clean_username(self) -> str:
        # Accounts are stored with a lower-case email (as sign-up and the API token endpoint do).
        return self.cleaned_data["username"].strip().lower()


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What the token is for, to tell it apart."),
    )


class PasswordForm(PasswordChangeForm):
    # Checked by default: a password is often changed because it leaked, and tokens outlive sessions.
    revoke_tokens = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Also revoke my API tokens"),
        help_text=_("Scripts and apps using them stop working until they get a new token."),
    )


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autofocus": True})
    )


class ResetPasswordForm(SetPasswordForm):
    """The new password from a mailed reset link: set as the operator's reset does, tokens revoked too
    (whoever knew the old password may have made some)."""

    def save(self, commit: bool = True) -> User:
        reset_password(self.user, self.cleaned_data["new_password1"])
        return self.user
