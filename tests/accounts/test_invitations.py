"""Workspace invitations: the role goes through a one-time link mailed to the address, never to an
account for having the email (emails are not verified, so anyone may sign up with any address).

Personas: the `owner` of a shared workspace, the `invitee` who reads the mail, and a `stranger`
who guesses the invited address and signs up with it first.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from museion.accounts.models import Invitation, Membership, Role, User, Workspace
from museion.accounts.workspaces import create_workspace, personal_workspace
from tests.web import conftest as web
from tests.web.conftest import PASSWORD, bearer

fresh_rate_limits = web.fresh_rate_limits
media = web.media
owner = web.owner

ADDRESS = "curator@museum.example.org"


@pytest.fixture
def museum(owner: User) -> Workspace:
    return create_workspace(owner, "Museum")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite_on_page(owner: User, workspace: Workspace, email: str = ADDRESS, role: str = "owner"):
    url = reverse("workspace", args=[workspace.pk])
    return signed_in(owner).post(url, {"email": email, "role": role}, follow=True)


def mailed_link() -> str:
    """The path of the link in the last mail sent."""
    found = re.search(r"http://testserver(/invitations/(inv_[\w-]+)/)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def secret_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def sign_up_on_page(client: Client, email: str, next_page: str = ""):
    data = {"email": email, "password": PASSWORD, **({"next": next_page} if next_page else {})}
    return client.post(reverse("signup"), data)


def accept_by_api(client: Client, headers: dict[str, str], token: str):
    body = {"token": token}
    return client.post(
        "/api/v1/auth/invitations/accept", body, content_type="application/json", headers=headers
    )


def test_the_invitation_is_mailed_to_the_address_with_a_one_time_link(owner: User, museum: Workspace) -> None:
    response = invite_on_page(owner, museum, role="editor")
    assert f"An invitation link was mailed to {ADDRESS}." in response.content.decode()
    [message] = mail.outbox
    assert message.to == [ADDRESS]
    assert "Museum" in message.subject
    assert "as editor" in message.body
    assert owner.email in message.body
    link = mailed_link()
    assert link in response.content.decode()  # shown once to the owner too, for a server without mail
    assert Invitation.objects.get(email=ADDRESS).digest != secret_of(link)  # only its hash is kept


def test_a_stranger_who_signs_up_first_with_the_invited_address_gets_nothing(
    owner: User, museum: Workspace
) -> None:
    invite_on_page(owner, museum, role="owner")
    link = mailed_link()
    stranger_page, stranger_api = Client(), Client()
    sign_up_on_page(stranger_page, ADDRESS)
    stranger = User.objects.get(email=ADDRESS)
    assert museum.role_of(stranger) is None
    assert museum.name not in stranger_page.get("/workspaces/").content.decode()
    # Nor through the API, with another spelling of the same invited address.
    api_signup = {"email": "Curator@Museum.example.org ", "password": PASSWORD}
    response = stranger_api.post("/api/v1/auth/signup", api_signup, content_type="application/json")
    assert response.status_code == 400  # taken by the stranger's page sign-up
    assert not Membership.objects.filter(workspace=museum, user=stranger).exists()
    # The invitee, who reads the mail, signs up with another address (theirs was taken) and joins.
    invitee = Client()
    sign_up_on_page(invitee, "curator.home@example.org", next_page=link)
    invitee.post(link)
    joined = User.objects.get(email="curator.home@example.org")
    assert museum.role_of(joined) == Role.OWNER
    assert museum.role_of(stranger) is None


def test_a_stranger_who_signed_up_before_the_invitation_is_not_added_either(
    owner: User, museum: Workspace
) -> None:
    stranger = web.make_user(ADDRESS)  # guessed the address ahead of time
    invite_on_page(owner, museum, role="owner")
    assert museum.role_of(stranger) is None
    assert Invitation.objects.filter(workspace=museum, email=ADDRESS).exists()


def test_the_api_signup_attaches_no_role_either(client: Client, owner: User, museum: Workspace) -> None:
    invite_on_page(owner, museum, role="editor")
    body = {"email": ADDRESS, "password": PASSWORD}
    response = client.post("/api/v1/auth/signup", body, content_type="application/json")
    assert response.status_code == 201
    assert museum.role_of(User.objects.get(pk=response.json()["id"])) is None
    assert Invitation.objects.filter(email=ADDRESS).exists()


def test_opening_the_link_shows_the_invitation_and_accepts_nothing(owner: User, museum: Workspace) -> None:
    invite_on_page(owner, museum, role="editor")
    link = mailed_link()
    anonymous = Client().get(link)
    assert anonymous.status_code == 200
    page = anonymous.content.decode()
    assert "Join “Museum”" in page
    assert "<strong>editor</strong>" in page
    assert f"{reverse('signin')}?next={link}" in page
    # Signing up from the link joins at once (tests/accounts/test_signup_modes.py).
    assert f"{reverse('signup')}?invitation={link.strip('/').rsplit('/', 1)[-1]}" in page
    invitee = web.make_user("someone@example.org")
    assert "Accept the invitation" in signed_in(invitee).get(link).content.decode()  # a mail scanner's GET
    assert museum.role_of(invitee) is None
    assert Invitation.objects.filter(email=ADDRESS).exists()


def test_an_invitee_signing_in_from_the_link_comes_back_to_accept(owner: User, museum: Workspace) -> None:
    invite_on_page(owner, museum, role="viewer")
    link = mailed_link()
    invitee = web.make_user("invitee@example.org")
    client = Client()
    response = client.post(reverse("signin"), {"username": invitee.email, "password": PASSWORD, "next": link})
    assert response["Location"] == link
    response = client.post(link, follow=True)
    assert "You joined “Museum” as viewer." in response.content.decode()
    assert museum.role_of(invitee) == Role.VIEWER


def test_the_link_works_once(owner: User, museum: Workspace) -> None:
    invite_on_page(owner, museum, role="editor")
    link = mailed_link()
    invitee, second = web.make_user("invitee@example.org"), web.make_user("second@example.org")
    signed_in(invitee).post(link)
    response = signed_in(second).post(link)
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    assert museum.role_of(second) is None
    assert museum.role_of(invitee) == Role.EDITOR


def test_a_withdrawn_or_reissued_invitation_kills_the_old_link(owner: User, museum: Workspace) -> None:
    invite_on_page(owner, museum, role="editor")
    first = mailed_link()
    invite_on_page(owner, museum, role="viewer")  # sent again: a new link, the old one stops working
    second = mailed_link()
    invitee = web.make_user("invitee@example.org")
    assert signed_in(invitee).post(first).status_code == 404
    invitation = Invitation.objects.get(email=ADDRESS)
    signed_in(owner).post(reverse("invitation_cancel", args=[museum.pk, invitation.pk]))
    assert signed_in(invitee).post(second).status_code == 404
    assert museum.role_of(invitee) is None


def test_an_expired_link_is_refused(owner: User, museum: Workspace, settings) -> None:
    settings.INVITATION_DAYS = 7
    invite_on_page(owner, museum, role="editor")
    link = mailed_link()
    Invitation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    invitee = web.make_user("invitee@example.org")
    response = signed_in(invitee).post(link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert museum.role_of(invitee) is None
    expires = Invitation.objects.get(email=ADDRESS).created + timedelta(days=7)
    invite_on_page(owner, museum, role="editor")
    assert Invitation.objects.get(email=ADDRESS).expires > expires - timedelta(minutes=1)


def test_an_invitation_made_before_links_existed_cannot_be_accepted(owner: User, museum: Workspace) -> None:
    old = Invitation.objects.create(workspace=museum, email=ADDRESS, role=Role.OWNER)  # digest None
    page = signed_in(owner).get(reverse("workspace", args=[museum.pk])).content.decode()
    assert "expired or never sent: invite again" in page
    stranger = web.make_user(ADDRESS)
    assert museum.role_of(stranger) is None
    assert Invitation.objects.filter(pk=old.pk).exists()


def test_accepting_never_lowers_a_role(owner: User, museum: Workspace) -> None:
    editor = web.make_user("editor@example.org")
    Membership.objects.create(workspace=museum, user=editor, role=Role.EDITOR)
    invite_on_page(owner, museum, email="viewer-to-be@example.org", role="viewer")
    signed_in(editor).post(mailed_link())
    assert museum.role_of(editor) == Role.EDITOR


def test_the_api_accepts_the_token_of_the_link_once(owner: User, museum: Workspace, client: Client) -> None:
    invite_on_page(owner, museum, role="editor")
    token = secret_of(mailed_link())
    invitee, stranger = web.make_user("invitee@example.org"), web.make_user(ADDRESS)
    assert accept_by_api(client, {}, token).status_code == 401
    response = accept_by_api(client, bearer(invitee), token)
    assert response.status_code == 200
    assert response.json() == {"workspace": museum.pk, "name": "Museum", "role": "editor"}
    again = accept_by_api(client, bearer(stranger), token)
    assert (again.status_code, again.json()["error"]["code"]) == (404, "invalid_invitation")
    assert museum.role_of(stranger) is None
    wrong = accept_by_api(client, bearer(stranger), "inv_guessed")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (404, "invalid_invitation")


def test_the_api_says_when_a_token_has_expired(owner: User, museum: Workspace, client: Client) -> None:
    invite_on_page(owner, museum, role="editor")
    token = secret_of(mailed_link())
    Invitation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = accept_by_api(client, bearer(web.make_user("invitee@example.org")), token)
    assert (response.status_code, response.json()["error"]["code"]) == (410, "invitation_expired")


def test_a_mail_that_cannot_be_sent_leaves_the_link_for_the_owner(
    owner: User, museum: Workspace, settings
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    settings.EMAIL_USE_TLS = False
    response = invite_on_page(owner, museum, role="editor")
    page = response.content.decode()
    assert response.status_code == 200
    assert "could not be mailed" in page
    assert f"send {ADDRESS} the link below" in page
    link = re.search(
        r'id="invitation-link">.*?(http://testserver/invitations/inv_[\w-]+/)', page, re.S
    ).group(1)
    invitee = web.make_user("invitee@example.org")
    signed_in(invitee).post(link.removeprefix("http://testserver"))
    assert museum.role_of(invitee) == Role.EDITOR


def test_a_personal_workspace_gets_no_owner_by_invitation(owner: User) -> None:
    personal = personal_workspace(owner)
    response = invite_on_page(owner, personal, role="owner")
    assert "one owner" in response.content.decode()
    assert not mail.outbox
    assert not Invitation.objects.exists()
