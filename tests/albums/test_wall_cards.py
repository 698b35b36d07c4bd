"""The visitors' link on the album page: its QR code, the printable A5 wall cards of the album and
of each work, and the warning when the link names this computer (a phone cannot open it)."""

from __future__ import annotations

import pytest
from django.test import Client

from museion.accounts.models import User
from museion.albums.models import Album
from tests.albums.conftest import Team

MEMBERS = ("owner", "editor", "viewer")


def as_(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def published(album: Album) -> Album:
    Album.objects.filter(pk=album.pk).update(published=True)
    album.refresh_from_db()
    return album


def card_paths(album: Album) -> list[str]:
    owl = album.classes.get(name="owl")
    return [f"/albums/{album.pk}/card/", f"/albums/{album.pk}/classes/{owl.pk}/card/"]


@pytest.mark.parametrize("role", MEMBERS)
def test_every_member_prints_the_album_and_work_wall_cards(team: Team, album: Album, role: str) -> None:
    album = published(album)
    owl = album.classes.get(name="owl")
    client = as_(getattr(team, role))
    page = client.get(f"/albums/{album.pk}/card/").content.decode()
    assert "<svg" in page
    assert "@page" not in page
    assert f"http://testserver/v/{album.slug}/</p>" in page
    assert "Ask your phone about the works" in page
    work = client.get(f"/albums/{album.pk}/classes/{owl.pk}/card/").content.decode()
    assert f"http://testserver/v/{album.slug}/?work={owl.pk}</p>" in work
    assert "<h1>Owl</h1>" in work
    assert "card-private" not in work


@pytest.mark.parametrize("path", [0, 1])
def test_an_outsider_gets_404_for_the_wall_cards(team: Team, album: Album, path: int) -> None:
    response = as_(team.outsider).get(card_paths(published(album))[path])
    assert response.status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in_for_a_wall_card(album: Album) -> None:
    response = Client().get(card_paths(published(album))[0])
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")


def test_a_wall_card_of_an_album_whose_visitors_page_is_off_says_so(team: Team, album: Album) -> None:
    page = as_(team.owner).get(card_paths(album)[1]).content.decode()
    assert 'id="card-private"' in page


def test_the_album_page_shows_the_qr_code_and_the_wall_card_link(team: Team, album: Album) -> None:
    page = as_(team.viewer).get(f"/albums/{published(album).pk}/").content.decode()
    assert 'id="viewer-qr"' in page
    assert "<svg" in page
    assert f'href="/albums/{album.pk}/card/"' in page
    assert 'id="link-local"' not in page


def test_a_localhost_link_is_flagged_with_the_settings_to_change(team: Team, album: Album) -> None:
    page = as_(team.owner).get(f"/albums/{published(album).pk}/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert 'id="link-local"' in page
    assert "MUSEION_PUBLIC_URL" in page
    assert "ALLOWED_HOSTS" in page
    card = as_(team.owner).get(card_paths(album)[0], HTTP_HOST="localhost:8000").content.decode()
    assert 'id="card-local"' in card


def test_the_public_url_setting_makes_the_link_phones_open(team: Team, album: Album, settings) -> None:
    settings.PUBLIC_URL = "https://museum.example.org"
    page = as_(team.owner).get(f"/albums/{published(album).pk}/", HTTP_HOST="127.0.0.1:8000").content.decode()
    assert f'value="https://museum.example.org/v/{album.slug}/"' in page
    assert 'id="link-local"' not in page
