"""Sign up, sign in and out, password, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from museion.accounts.forms import (
    PasswordForm,
    ResetPasswordForm,
    ResetRequestForm,
    SigninForm,
    SignupForm,
    TokenForm,
)
from museion.accounts.models import ApiToken, User
from museion.accounts.services import SignupClosed, SignupError, check_signup, revoke_api_tokens, sign_up
from museion.accounts.workspaces import InvitationError
from museion.http.errors import ApiError
from museion.http.ratelimit import client_ip, hit


def signup(request: HttpRequest) -> HttpResponse:
    form, status, next_page = SignupForm(request.POST or None), 200, _next_page(request)
    # An invitation link's secret (the invitation page's "Sign up" passes it): joins at sign-up.
    secret = (request.POST.get("invitation") or request.GET.get("invitation") or "").strip()
    try:
        check_signup(secret)
    except (SignupClosed, InvitationError) as exc:
        context = {"refused": exc.message, "code": exc.code}
        return render(
            request, "accounts/signup.html", context, status=403 if request.method == "POST" else 200
        )
    if request.method == "POST" and form.is_valid():
        try:
            hit("signup", client_ip(request), settings.RATE_LIMIT_SIGNIN)
            user = sign_up(form.cleaned_data["email"], form.cleaned_data["password"], secret)
        except SignupError as exc:
            form.add_error(exc.field, str(exc))
        except (SignupClosed, InvitationError) as exc:  # the link was used meanwhile
            form.add_error(None, exc.message)
        except ApiError as exc:
            form.add_error(None, _("Too many attempts: %(reason)s.") % {"reason": exc.message})
            status = exc.status
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_joined(request, user) if secret else next_page or "predict")
    context = {"form": form, "next": next_page, "invitation": secret}
    return render(request, "accounts/signup.html", context, status=status)


def _joined(request: HttpRequest, user: User) -> str:
    """The workspace the new account joined by its invitation, with a message saying so."""
    membership = user.memberships.filter(workspace__personal=False).select_related("workspace").first()
    if membership is None:
        return reverse("predict")
    messages.success(
        request,
        _("You joined “%(workspace)s” as %(role)s.")
        % {"workspace": membership.workspace.name, "role": membership.get_role_display().lower()},
    )
    return reverse("workspace", args=[membership.workspace_id])


def _next_page(request: HttpRequest) -> str:
    """Where to go after signing up (an invitation link, say): a path of this site only."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if safe else ""


class SigninView(auth_views.LoginView):
    template_name = "accounts/signin.html"
    authentication_form = SigninForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            hit("signin", client_ip(request), settings.RATE_LIMIT_SIGNIN)
        except ApiError as exc:
            # An unbound form: validating the posted one would check the password, and its errors tell.
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")})
            throttled = _("Too many sign-in attempts. %(reason)s.") % {"reason": exc.message.capitalize()}
            return self.render_to_response(self.get_context_data(form=form, throttled=throttled), status=429)
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("predict")
    form_class = PasswordForm

    def form_valid(self, form: PasswordForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)  # saved; this session stays signed in, the others end
        done = _("Your password was changed.")
        if form.cleaned_data["revoke_tokens"]:
            revoked = revoke_api_tokens(form.user)
            if revoked:
                done += " " + ngettext(
                    "%(count)d API token was revoked.", "%(count)d API tokens were revoked.", revoked
                ) % {"count": revoked}
        messages.success(self.request, done)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Mail a reset link to an account's address; the same answer whether or not one has it."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = ResetRequestForm
    success_url = reverse_lazy("password_reset_done")

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            # Each request may send a mail: limited as sign-in is, so nobody floods an inbox.
            hit("password_reset", client_ip(request), settings.RATE_LIMIT_SIGNIN)
        except ApiError as exc:
            throttled = _("Too many reset requests. %(reason)s.") % {"reason": exc.message.capitalize()}
            return self.render_to_response(self.get_context_data(throttled=throttled), status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("password_reset_complete")


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, secret = ApiToken.issue(request.user, form.cleaned_data["name"])  # type: ignore[arg-type]
        # Shown once, after a redirect, so reloading the page does not make another token.
        request.session["new_token"] = secret
        return redirect("tokens")
    secret = request.session.pop("new_token", None)
    context = {"form": form, "secret": secret, "tokens": request.user.tokens.all()}  # type: ignore[union-attr]
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.delete()
    messages.success(request, _("Token %(prefix)s… was revoked.") % {"prefix": token.prefix})
    return redirect("tokens")
