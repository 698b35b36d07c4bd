"""Every page's ids are unique and every label points at a field that exists; every page has a skip link.

The album page holds two forms with a name and a description (the album's settings and a new
class): with Django's default ids both were `id_name`, and a click on the second label went to
the first field.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from museion.albums.models import Album
from tests.albums.conftest import Team


class Ids(HTMLParser):
    """The ids of a page, the targets of its labels, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.links: list[tuple[str, str]] = []  # (href, class)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if tag == "label" and found.get("for"):
            self.label_targets.append(found["for"] or "")
        if tag == "a":
            self.links.append((found.get("href") or "", found.get("class") or ""))


def parsed(client: Client, url: str) -> Ids:
    response = client.get(url)
    assert response.status_code == 200, url
    ids = Ids()
    ids.feed(response.content.decode())
    return ids


def pages(album: Album) -> dict[str, str]:
    first = album.classes.order_by("name").first()
    assert first is not None
    return {
        "album": reverse("album", args=[album.pk]),
        "class": reverse("album_class", args=[album.pk, first.pk]),
        "albums": reverse("albums"),
        "workspace": reverse("workspace", args=[album.workspace_id]),
        "workspaces": reverse("workspaces"),
        "tokens": reverse("tokens"),
        "history": reverse("history"),
        "predict": reverse("predict"),
        "home": reverse("home"),
    }


@pytest.fixture
def owner_pages(team: Team, album: Album) -> tuple[Client, dict[str, str]]:
    client = Client()
    client.force_login(team.owner)
    return client, pages(album)


@pytest.mark.parametrize(
    "page", ["album", "class", "albums", "workspace", "workspaces", "tokens", "history", "predict", "home"]
)
def test_ids_are_unique_and_every_label_points_at_its_own_field(owner_pages, page: str) -> None:
    client, urls = owner_pages
    found = parsed(client, urls[page])
    repeated = [i for i, n in Counter(found.ids).items() if n > 1]
    assert repeated == []
    assert set(found.label_targets) <= set(found.ids)


def test_the_album_pages_two_forms_label_their_own_name_and_description(owner_pages) -> None:
    client, urls = owner_pages
    found = parsed(client, urls["album"])
    for field in ("name", "description"):
        assert f"settings_{field}" in found.label_targets
        assert f"new_class_{field}" in found.label_targets


@pytest.mark.parametrize("url", [reverse("home"), reverse("signin"), reverse("signup"), reverse("predict")])
def test_a_signed_out_page_starts_with_a_skip_link_to_its_content(client: Client, url: str) -> None:
    found = parsed(client, url)
    assert found.links[0] == ("#content", "skip-link")
    assert "content" in found.ids


def test_a_signed_in_page_has_the_skip_link_and_a_menu_button_for_its_nav(owner_pages) -> None:
    client, urls = owner_pages
    response = client.get(urls["album"]).content.decode()
    assert '<a class="skip-link" href="#content">Skip to content</a>' in response
    assert 'aria-controls="site-nav"' in response
    assert 'id="site-nav"' in response
