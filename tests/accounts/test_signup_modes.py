"""MUSEION_SIGNUP: open (anyone), closed (operators create accounts), invite (only with an invitation link).

The API and the sign-up page refuse alike, because both call `accounts.services.sign_up`.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from museion.accounts.models import Invitation, Role, User, Workspace
from museion.accounts.workspaces import create_workspace, invite
from tests.web.conftest import PASSWORD

NEWCOMER = "newcomer@example.org"


def api_signup(client: Client, **extra: str):
    body = {"email": NEWCOMER, "password": PASSWORD, **extra}
    return client.post("/api/v1/auth/signup", body, content_type="application/json")


def page_signup(client: Client, **extra: str):
    return client.post(reverse("signup"), {"email": NEWCOMER, "password": PASSWORD, **extra})


@pytest.fixture
def museum(owner: User) -> Workspace:
    return create_workspace(owner, "Museum")


@pytest.fixture
def invitation(museum: Workspace, owner: User) -> Invitation:
    made = invite(museum, NEWCOMER, Role.EDITOR, owner)
    assert isinstance(made, Invitation)
    return made


def test_signup_is_open_by_default(client: Client, db) -> None:
    assert api_signup(client).status_code == 201


def test_closed_signup_answers_403_signup_closed_and_makes_no_account(client: Client, settings, db) -> None:
    settings.SIGNUP = "closed"
    response = api_signup(client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "signup_closed"
    assert not User.objects.filter(email=NEWCOMER).exists()


def test_the_signup_page_says_signup_is_closed_and_refuses_a_post(client: Client, settings, db) -> None:
    settings.SIGNUP = "closed"
    page = client.get(reverse("signup"))
    assert page.status_code == 200
    assert "Sign-up is closed on this server" in page.content.decode()
    main = page.content.decode().split('<main id="content"')[1].split("</main>")[0]
    assert "<form" not in main  # the footer's language switch is the page's only form
    assert page_signup(client).status_code == 403
    assert not User.objects.filter(email=NEWCOMER).exists()


def test_the_signin_page_offers_no_signup_when_it_is_closed(client: Client, settings, db) -> None:
    settings.SIGNUP = "closed"
    html = client.get(reverse("signin")).content.decode()
    assert "No account yet?" not in html
    assert "Sign-up is closed on this server" in html


def test_invite_mode_refuses_a_signup_without_an_invitation(client: Client, settings, db) -> None:
    settings.SIGNUP = "invite"
    response = api_signup(client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invitation_required"
    assert "needs a workspace invitation" in client.get(reverse("signup")).content.decode()


def test_invite_mode_refuses_a_mistyped_invitation_with_404(client: Client, settings, invitation) -> None:
    settings.SIGNUP = "invite"
    response = api_signup(client, invitation="inv_not-a-real-one")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "invalid_invitation"
    assert not User.objects.filter(email=NEWCOMER).exists()


def test_invite_mode_takes_a_signup_with_an_invitation_which_joins_and_is_used_up(
    client: Client, settings, museum: Workspace, invitation: Invitation
) -> None:
    settings.SIGNUP = "invite"
    response = api_signup(client, invitation=invitation.secret)
    assert response.status_code == 201
    newcomer = User.objects.get(email=NEWCOMER)
    assert museum.role_of(newcomer) == Role.EDITOR
    assert not Invitation.objects.exists()
    # One link, one account: the same link cannot make a second one.
    again = client.post(
        "/api/v1/auth/signup",
        {"email": "second@example.org", "password": PASSWORD, "invitation": invitation.secret},
        content_type="application/json",
    )
    assert again.status_code == 404
    assert not User.objects.filter(email="second@example.org").exists()


def test_the_invitation_pages_sign_up_joins_the_workspace_in_invite_mode(
    client: Client, settings, museum: Workspace, invitation: Invitation
) -> None:
    settings.SIGNUP = "invite"
    link = reverse("invitation", args=[invitation.secret])
    shown = client.get(link).content.decode()
    signup_link = f"{reverse('signup')}?invitation={invitation.secret}"
    assert signup_link in shown
    form = client.get(signup_link).content.decode()
    assert f'name="invitation" value="{invitation.secret}"' in form
    response = page_signup(client, invitation=invitation.secret)
    assert response.status_code == 302
    assert response["Location"] == reverse("workspace", args=[museum.pk])
    assert museum.role_of(User.objects.get(email=NEWCOMER)) == Role.EDITOR
    assert "You joined “Museum” as editor." in client.get(response["Location"]).content.decode()


def test_closed_signup_still_lets_an_existing_account_accept_an_invitation(
    client: Client, settings, museum: Workspace, owner: User, outsider: User
) -> None:
    settings.SIGNUP = "closed"
    made = invite(museum, outsider.email, Role.VIEWER, owner)
    link = reverse("invitation", args=[made.secret])  # type: ignore[union-attr]
    assert "?invitation=" not in client.get(link).content.decode()  # only "Sign in" is offered
    client.force_login(outsider)
    assert client.post(link).status_code == 302
    assert museum.role_of(outsider) == Role.VIEWER


@pytest.mark.parametrize("mode", ["closed", "invite"])
def test_no_page_links_to_signup_unless_it_is_open(client: Client, settings, db, mode: str) -> None:
    assert 'href="/signup/"' in client.get("/").content.decode()
    settings.SIGNUP = mode
    for path in ("/", "/predict/", "/signin/"):
        assert 'href="/signup/"' not in client.get(path).content.decode(), path
