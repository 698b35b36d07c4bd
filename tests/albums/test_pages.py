"""The album and workspace pages with Django's test client, as owner, editor, viewer and outsider.

An outsider gets the 404 of a missing page; a viewer reads everything but a change is
refused with 403 and leaves the database as it was; an editor changes; only an owner
deletes the album and manages members. Every form needs its CSRF token, user text is
escaped, and nothing is loaded from another site.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from museion.accounts.models import Invitation, Membership, Role, User
from museion.accounts.workspaces import invite, personal_workspace
from museion.albums.media import save_picture
from museion.albums.models import Album, AlbumClass, Job, MediaItem, ModelVersion, SourceVideo
from tests.albums.conftest import Team, jpeg, make_album

STATIC = Path(__file__).resolve().parents[2] / "src" / "museion" / "albums" / "static" / "museion"
SCRIPT = "<script>alert('owned')</script>"


def as_(user: User | None, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def photo(album_class: AlbumClass, name: str = "owl.jpg") -> MediaItem:
    return save_picture(album_class, name, jpeg(name, (64, 48)), 64, 48)


def frame(album_class: AlbumClass, video: SourceVideo, time: float) -> MediaItem:
    return save_picture(
        album_class, f"{video.name} @ {time} s", jpeg(size=(64, 48)), 64, 48, source=video, time=time
    )


def make_version(album: Album, number: int = 1, metrics: dict | None = None) -> ModelVersion:
    return ModelVersion.objects.create(
        album=album, number=number, backbone="test", classes=[{"name": "owl"}, {"name": "parrot"}],
        head=b"", bundle=f"albums/{album.pk}/models/{number}.zip", metrics=metrics or {},
    )  # fmt: skip


@pytest.fixture
def things(album: Album) -> dict:
    """The album's two classes, a photo of the owl, and a trained version."""
    owl, parrot = album.classes.order_by("name")
    return {"album": album, "owl": owl, "parrot": parrot, "item": photo(owl), "version": make_version(album)}


def snapshot(album_id: int) -> tuple:
    """What a refused request must leave unchanged."""
    album = Album.objects.filter(pk=album_id).values().first()
    classes = list(AlbumClass.objects.filter(album_id=album_id).values().order_by("pk"))
    items = list(MediaItem.objects.filter(album_class__album_id=album_id).values_list("pk", "album_class_id"))
    return album, classes, sorted(items)


# ---- reading -------------------------------------------------------------------------


PAGES: dict[str, Callable[[dict], str]] = {
    "album": lambda t: reverse("album", args=[t["album"].pk]),
    "class": lambda t: reverse("album_class", args=[t["album"].pk, t["owl"].pk]),
    "workspace": lambda t: reverse("workspace", args=[t["album"].workspace_id]),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_members_read_every_page(team: Team, things: dict, role: str, page: str) -> None:
    response = as_(getattr(team, role)).get(PAGES[page](things))
    assert response.status_code == 200
    assert things["album"].name in html(response) or page == "workspace"


@pytest.mark.parametrize("page", PAGES)
def test_an_outsider_gets_404_for_every_page(team: Team, things: dict, page: str) -> None:
    assert as_(team.outsider).get(PAGES[page](things)).status_code == 404


def test_a_class_of_another_album_is_404(team: Team, things: dict) -> None:
    other = make_album(team, "Other", ("cat",)).classes.get()
    assert as_(team.owner).get(reverse("album_class", args=[things["album"].pk, other.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(things: dict) -> None:
    for url in ("/albums/", "/workspaces/", PAGES["album"](things)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("signin"))


def test_the_album_list_shows_albums_of_all_workspaces_with_the_role(team: Team, things: dict) -> None:
    mine = Album.objects.create(workspace=personal_workspace(team.viewer), name="My own album")
    page = html(as_(team.viewer).get("/albums/"))
    assert things["album"].name in page
    assert mine.name in page
    assert re.search(r"Birds</a></td>.*?<td>Viewer</td>", page, re.S)
    assert "Other people" not in page


def test_a_viewer_sees_no_editing_controls_but_can_try_the_model(team: Team, things: dict) -> None:
    page = html(as_(team.viewer).get(PAGES["album"](things)))
    for control in (
        'id="settings-form"',
        'id="class-form"',
        'id="train"',
        "dropzone upload",
        "Publish",
        "Delete album",
    ):
        assert control not in page
    assert 'id="try-file"' in page
    assert "Download bundle" in page


def test_an_editor_edits_but_only_the_owner_sees_delete(team: Team, things: dict) -> None:
    editor = html(as_(team.editor).get(PAGES["album"](things)))
    owner = html(as_(team.owner).get(PAGES["album"](things)))
    for control in ('id="settings-form"', 'id="class-form"', 'id="train"', "dropzone upload"):
        assert control in editor
    assert "Delete album" not in editor
    assert "Delete album" in owner


def test_the_album_page_shows_counts_jobs_and_the_metrics_of_versions(team: Team, things: dict) -> None:
    owl, parrot, album = things["owl"], things["parrot"], things["album"]
    video = SourceVideo.objects.create(album_class=parrot, file="v.mp4", name="parrot.mp4", frames=2)
    missed = frame(parrot, video, 0.5)
    gone = frame(parrot, video, 1.0)
    metrics = {
        "accuracy": 0.875, "validated": 8, "classes": ["owl", "parrot"],
        "per_class": {"owl": {"precision": 0.8, "recall": 1.0, "support": 4},
                      "parrot": {"precision": 1.0, "recall": 0.75, "support": 4}},
        "confusion": [[4, 0], [1, 3]],
        "misclassified": [{"ref": str(missed.pk), "label": "parrot", "predicted": "owl", "score": 0.6},
                          {"ref": str(gone.pk), "label": "parrot", "predicted": "owl", "score": 0.5}],
    }  # fmt: skip
    make_version(album, 2, metrics)
    gone.delete()
    Job.objects.create(album=album, kind=Job.Kind.VIDEO, video=video, status=Job.Status.RUNNING, progress=0.4)
    page = html(as_(team.viewer).get(PAGES["album"](things)))
    assert re.search(rf'id="class-{owl.pk}-counts".*?1 photo\b.*?0 frames', page, re.S)
    assert re.search(rf'id="class-{parrot.pk}-counts".*?0 photos.*?1 frame\b', page, re.S)
    assert "87.5%" in page
    assert "75.0%" in page
    assert re.search(r'<td class="diag">4</td><td class="">0</td>', page)
    assert reverse("api:album_media_file", args=[album.pk, missed.pk]) in page
    assert f"/media/{gone.pk}/file" not in page
    assert '"status": "running"' in page
    assert '"name": "parrot.mp4"' in page


def test_the_class_page_counts_photos_and_frames_grouped_by_video(team: Team, things: dict) -> None:
    owl = things["owl"]
    photo(owl, "parrot.jpg")
    video = SourceVideo.objects.create(album_class=owl, file="v.mp4", name="walkaround.mp4", duration=3.0)
    for t in (0.0, 0.5, 1.0):
        frame(owl, video, t)
    page = html(as_(team.viewer).get(PAGES["class"](things)))
    assert "2 photos · 3 frames" in page
    assert re.search(r"Frames of walkaround.mp4.*?· 3</span>", page, re.S)
    assert page.count('class="media-grid"') == 2
    assert "Delete" not in page
    assert 'name="to_class"' not in page
    editor = html(as_(team.editor).get(PAGES["class"](things)))
    assert editor.count('name="to_class"') == 5


# ---- changing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    done: Callable[[dict], bool]  # whether the change happened


ACTIONS = {
    "settings": Action(
        lambda t: reverse("album_settings", args=[t["album"].pk]),
        lambda t: {"name": "Renamed", "description": "New words", "fps": "3", "published": "on"},
        lambda t: Album.objects.filter(name="Renamed", fps=3, published=True).exists(),
    ),
    "create class": Action(
        lambda t: reverse("class_create", args=[t["album"].pk]),
        lambda t: {"name": "heron", "title": "The Heron", "description": "Grey.", "url": ""},
        lambda t: AlbumClass.objects.filter(album=t["album"], name="heron", title="The Heron").exists(),
    ),
    "edit class": Action(
        lambda t: reverse("album_class", args=[t["album"].pk, t["owl"].pk]),
        lambda t: {
            "name": "owl",
            "title": "Tawny owl",
            "description": "Oil.",
            "url": "https://example.org/o",
        },
        lambda t: AlbumClass.objects.filter(pk=t["owl"].pk, title="Tawny owl").exists(),
    ),
    "translate class": Action(
        lambda t: reverse("class_translation", args=[t["album"].pk, t["owl"].pk]),
        lambda t: {"lang": "ar", "title": "البومة", "description": ""},
        lambda t: (
            AlbumClass.objects.get(pk=t["owl"].pk).translations
            == {"ar": {"title": "البومة", "description": ""}}
        ),
    ),
    "delete class": Action(
        lambda t: reverse("class_delete", args=[t["album"].pk, t["owl"].pk]),
        lambda t: {},
        lambda t: not AlbumClass.objects.filter(pk=t["owl"].pk).exists(),
    ),
    "delete picture": Action(
        lambda t: reverse("media_delete", args=[t["album"].pk, t["item"].pk]),
        lambda t: {},
        lambda t: not MediaItem.objects.filter(pk=t["item"].pk).exists(),
    ),
    "move picture": Action(
        lambda t: reverse("media_move", args=[t["album"].pk, t["item"].pk]),
        lambda t: {"to_class": t["parrot"].pk},
        lambda t: MediaItem.objects.filter(pk=t["item"].pk, album_class=t["parrot"]).exists(),
    ),
    "publish version": Action(
        lambda t: reverse("version_publish", args=[t["album"].pk, 1]),
        lambda t: {},
        lambda t: Album.objects.filter(pk=t["album"].pk, published_version=t["version"]).exists(),
    ),
    "delete album": Action(
        lambda t: reverse("album_delete", args=[t["album"].pk]),
        lambda t: {},
        lambda t: not Album.objects.filter(pk=t["album"].pk).exists(),
    ),
}
EDITOR_ACTIONS = [name for name in ACTIONS if name != "delete album"]


@pytest.mark.parametrize("name", EDITOR_ACTIONS)
def test_an_editor_makes_each_change(team: Team, things: dict, name: str) -> None:
    action = ACTIONS[name]
    response = as_(team.editor).post(action.url(things), action.data(things))
    assert response.status_code == 302, html(response)
    assert action.done(things)


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("outsider", 404)])
@pytest.mark.parametrize("name", ACTIONS)
def test_a_viewer_gets_403_and_an_outsider_404_and_nothing_changes(
    team: Team, things: dict, name: str, role: str, status: int
) -> None:
    action, before = ACTIONS[name], snapshot(things["album"].pk)
    response = as_(getattr(team, role)).post(action.url(things), action.data(things))
    assert response.status_code == status
    assert snapshot(things["album"].pk) == before
    assert not action.done(things)


def test_only_the_owner_deletes_the_album(team: Team, things: dict) -> None:
    url = ACTIONS["delete album"].url(things)
    assert as_(team.editor).post(url).status_code == 403
    assert Album.objects.filter(pk=things["album"].pk).exists()
    response = as_(team.owner).post(url)
    assert response.status_code == 302
    assert response["Location"] == "/albums/"
    assert not Album.objects.filter(pk=things["album"].pk).exists()


def test_a_picture_is_not_moved_to_a_class_of_another_album(team: Team, things: dict) -> None:
    other = make_album(team, "Other", ("cat",)).classes.get()
    response = as_(team.editor).post(ACTIONS["move picture"].url(things), {"to_class": other.pk}, follow=True)
    assert MediaItem.objects.get(pk=things["item"].pk).album_class == things["owl"]
    assert "Select a valid choice" in html(response)


def test_a_second_class_with_the_same_name_is_refused_with_a_message(team: Team, things: dict) -> None:
    response = as_(team.editor).post(ACTIONS["create class"].url(things), {"name": "owl"}, follow=True)
    assert AlbumClass.objects.filter(album=things["album"], name="owl").count() == 1
    assert "already has a class named" in html(response)


def test_an_editor_creates_an_album_in_the_workspace(team: Team) -> None:
    data = {"name": "Sculptures", "description": "", "workspace": team.workspace.pk, "fps": "2"}
    response = as_(team.editor).post("/albums/", data)
    album = Album.objects.get(name="Sculptures")
    assert response["Location"] == reverse("album", args=[album.pk])
    assert (album.workspace, album.fps) == (team.workspace, 2.0)


def test_the_create_form_offers_only_workspaces_where_the_user_edits(team: Team) -> None:
    page = html(as_(team.viewer).get("/albums/"))
    assert f'<option value="{personal_workspace(team.viewer).pk}"' in page
    assert f'<option value="{team.workspace.pk}"' not in page
    assert 'value="2.0"' in page  # the default fps


def test_a_viewer_cannot_create_an_album_in_the_workspace(team: Team) -> None:
    data = {"name": "Sneaky", "workspace": team.workspace.pk, "fps": "2"}
    assert as_(team.viewer).post("/albums/", data).status_code == 403
    assert as_(team.outsider).post("/albums/", data).status_code == 200  # not theirs: a form error
    assert not Album.objects.filter(name="Sneaky").exists()


# ---- workspaces -----------------------------------------------------------------------


def test_the_workspace_list_shows_each_workspace_with_the_role(team: Team) -> None:
    page = html(as_(team.editor).get("/workspaces/"))
    assert re.search(rf"{team.workspace.name}</a>\s*</td>\s*<td>Editor</td>", page)
    assert re.search(
        r"editor@example.org&#x27;s workspace</a> <span class=\"badge\">personal</span>\s*</td>\s*<td>Owner",
        page,
    )


def test_creating_a_workspace_makes_the_user_its_owner(team: Team) -> None:
    response = as_(team.viewer).post("/workspaces/", {"name": "Print room"})
    membership = Membership.objects.get(user=team.viewer, workspace__name="Print room")
    assert membership.role == Role.OWNER
    assert response["Location"] == reverse("workspace", args=[membership.workspace_id])


def test_the_owner_invites_by_email_and_the_link_gives_the_role(team: Team, mailoutbox) -> None:
    newcomer = User.objects.create_user("newcomer@example.org")
    url = reverse("workspace", args=[team.workspace.pk])
    response = as_(team.owner).post(url, {"email": "NewComer@example.org", "role": "editor"}, follow=True)
    assert "An invitation link was mailed to newcomer@example.org." in html(response)
    assert re.search(r'data-invitation="newcomer@example.org">.*?Editor', html(response), re.S)
    assert team.workspace.role_of(newcomer) is None  # an account with the email is not enough
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mailoutbox[0].body).group(1)
    as_(newcomer).post(link)
    assert team.workspace.role_of(newcomer) == Role.EDITOR
    assert not Invitation.objects.filter(email="newcomer@example.org").exists()


def test_inviting_a_member_again_changes_the_role_at_once(team: Team, mailoutbox) -> None:
    url = reverse("workspace", args=[team.workspace.pk])
    response = as_(team.owner).post(url, {"email": team.viewer.email, "role": "editor"}, follow=True)
    assert "is now editor of this workspace" in html(response)
    assert team.workspace.role_of(team.viewer) == Role.EDITOR
    assert not mailoutbox


def test_the_owner_changes_a_role_and_removes_a_member(team: Team) -> None:
    member = Membership.objects.get(workspace=team.workspace, user=team.viewer)
    owner = as_(team.owner)
    owner.post(reverse("member_role", args=[team.workspace.pk, member.pk]), {"role": "editor"})
    assert team.workspace.role_of(team.viewer) == Role.EDITOR
    owner.post(reverse("member_remove", args=[team.workspace.pk, member.pk]))
    assert team.workspace.role_of(team.viewer) is None
    assert as_(team.viewer).get(reverse("workspace", args=[team.workspace.pk])).status_code == 404


def test_the_owner_withdraws_an_invitation(team: Team) -> None:
    invitation = invite(team.workspace, "someone@example.org", Role.VIEWER, team.owner)
    as_(team.owner).post(reverse("invitation_cancel", args=[team.workspace.pk, invitation.pk]))
    assert not Invitation.objects.filter(pk=invitation.pk).exists()


def test_the_last_owner_can_neither_leave_nor_step_down(team: Team) -> None:
    mine = Membership.objects.get(workspace=team.workspace, user=team.owner)
    owner = as_(team.owner)
    response = owner.post(
        reverse("member_role", args=[team.workspace.pk, mine.pk]), {"role": "viewer"}, follow=True
    )
    assert "needs an owner" in html(response)
    owner.post(reverse("member_remove", args=[team.workspace.pk, mine.pk]))
    assert team.workspace.role_of(team.owner) == Role.OWNER


def test_a_personal_workspace_gets_no_second_owner(team: Team) -> None:
    personal = personal_workspace(team.owner)
    as_(team.owner).post(
        reverse("workspace", args=[personal.pk]), {"email": team.editor.email, "role": "owner"}
    )
    assert personal.role_of(team.editor) is None


WORKSPACE_ACTIONS = {
    "invite": lambda w, m: (reverse("workspace", args=[w.pk]), {"email": "x@example.org", "role": "owner"}),
    "change role": lambda w, m: (reverse("member_role", args=[w.pk, m.pk]), {"role": "owner"}),
    "remove": lambda w, m: (reverse("member_remove", args=[w.pk, m.pk]), {}),
}


@pytest.mark.parametrize("name", WORKSPACE_ACTIONS)
@pytest.mark.parametrize(("role", "status"), [("editor", 403), ("viewer", 403), ("outsider", 404)])
def test_only_owners_manage_members(team: Team, name: str, role: str, status: int) -> None:
    member = Membership.objects.get(workspace=team.workspace, user=team.viewer)
    url, data = WORKSPACE_ACTIONS[name](team.workspace, member)
    assert as_(getattr(team, role)).post(url, data).status_code == status
    assert Membership.objects.get(pk=member.pk).role == Role.VIEWER
    assert not Invitation.objects.exists()


def test_non_owners_see_the_members_read_only(team: Team) -> None:
    page = html(as_(team.editor).get(reverse("workspace", args=[team.workspace.pk])))
    assert "viewer@example.org" in page
    assert "owner@example.org" in page
    assert "<form" not in page.split('<main id="content" tabindex="-1">')[1].split("</main>")[0]
    owner = html(as_(team.owner).get(reverse("workspace", args=[team.workspace.pk])))
    assert 'id="invite-form"' in owner
    assert "Remove" in owner


# ---- escaping, the visitor viewer, CSRF, no CDN ------------------------------------------


def test_user_text_is_escaped_on_the_album_class_and_viewer_pages(team: Team, things: dict) -> None:
    album, owl = things["album"], things["owl"]
    AlbumClass.objects.filter(pk=owl.pk).update(description=SCRIPT, title=SCRIPT)
    Album.objects.filter(pk=album.pk).update(description=SCRIPT, published=True)
    pages = [PAGES["album"](things), PAGES["class"](things), reverse("viewer", args=[album.slug])]
    for url in pages:
        page = html(as_(team.viewer).get(url))
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in page, url


def test_the_viewer_is_public_for_published_albums_only(things: dict) -> None:
    album = things["album"]
    url = reverse("viewer", args=[album.slug])
    assert Client().get(url).status_code == 404
    Album.objects.filter(pk=album.pk).update(published=True)
    page = html(Client().get(url))
    assert f'data-api="/api/v1/v/{album.slug}/predict"' in page
    assert 'capture="environment"' in page
    assert Client().get("/v/no-such-album/").status_code == 404


def test_the_published_album_shows_its_visitor_link(team: Team, things: dict) -> None:
    Album.objects.filter(pk=things["album"].pk).update(published=True)
    page = html(as_(team.viewer).get(PAGES["album"](things)))
    assert f'value="http://testserver/v/{things["album"].slug}/"' in page
    assert 'id="copy-link"' in page


@pytest.mark.parametrize("name", ACTIONS)
def test_album_forms_need_the_csrf_token(team: Team, things: dict, name: str) -> None:
    action, before = ACTIONS[name], snapshot(things["album"].pk)
    response = as_(team.owner, csrf=True).post(action.url(things), action.data(things))
    assert response.status_code == 403
    assert snapshot(things["album"].pk) == before


@pytest.mark.parametrize("name", [*WORKSPACE_ACTIONS, "create workspace", "create album"])
def test_workspace_and_create_forms_need_the_csrf_token(team: Team, name: str) -> None:
    member = Membership.objects.get(workspace=team.workspace, user=team.viewer)
    url, data = {
        "create workspace": ("/workspaces/", {"name": "Nope"}),
        "create album": ("/albums/", {"name": "Nope", "workspace": team.workspace.pk, "fps": "2"}),
    }.get(name) or WORKSPACE_ACTIONS[name](team.workspace, member)
    assert as_(team.owner, csrf=True).post(url, data).status_code == 403
    assert Membership.objects.get(pk=member.pk).role == Role.VIEWER
    assert not Album.objects.filter(name="Nope").exists()


def every_page(team: Team, things: dict) -> list[str]:
    Album.objects.filter(pk=things["album"].pk).update(published=True)
    urls = ["/albums/", "/workspaces/", *(page(things) for page in PAGES.values())]
    return [html(as_(team.owner).get(url)) for url in urls] + [
        html(Client().get(f"/v/{things['album'].slug}/"))
    ]


def test_every_form_on_the_pages_carries_a_csrf_token(team: Team, things: dict) -> None:
    forms = [
        f for page in every_page(team, things) for f in re.findall(r"<form[^>]*post.*?</form>", page, re.S)
    ]
    assert len(forms) > 10
    for form in forms:
        assert 'name="csrfmiddlewaretoken"' in form, form


def test_nothing_is_loaded_from_another_site(team: Team, things: dict) -> None:
    for page in every_page(team, things):
        assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)
        assert "cdn" not in page.lower()
    for script in STATIC.glob("*.js"):
        assert not re.search(r"https?://|//cdn|import\s", script.read_text().replace("https?:\\/\\/", ""))
