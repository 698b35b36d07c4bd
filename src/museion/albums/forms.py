"""Forms of the album pages. The uploads, training and predictions go through the JSON API instead."""

from __future__ import annotations

from django import forms

from museion.accounts.models import Role, User, Workspace
from museion.accounts.workspaces import workspaces_of
from museion.albums.models import (
    DESCRIPTION_MAX,
    FPS_DEFAULT,
    NAME_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    URL_MAX,
    VISITOR_PHOTO_DAYS_DEFAULT,
    VISITOR_PHOTO_DAYS_MAX,
    VISITOR_PHOTO_DAYS_MIN,
    Album,
    AlbumClass,
    MediaItem,
)
from museion.vision.video import FPS_MAX, FPS_MIN

FPS_HELP = f"Frames taken per second of an uploaded video ({FPS_MIN:g} to {FPS_MAX:g})."


def fps_field(**options: object) -> forms.FloatField:
    return forms.FloatField(
        label="Frames per second", min_value=FPS_MIN, max_value=FPS_MAX, help_text=FPS_HELP, **options
    )


class AlbumForm(forms.Form):
    """A new album, in one of the user's workspaces (the service checks the editor role)."""

    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(
        max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none(), empty_label=None)
    fps = fps_field(initial=FPS_DEFAULT)

    def __init__(self, user: User, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["workspace"]
        editable = workspaces_of(user, Role.EDITOR)
        # Any workspace of the user validates, so a viewer's post is refused with 403, not a form error;
        # only those where the user may create albums are offered.
        field.queryset = Workspace.objects.filter(memberships__user=user).distinct()  # type: ignore[attr-defined]
        field.widget.choices = [(w.pk, w.name) for w in editable]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("give the album a name")
        return name


VISITORS_PAGE = "Visitors' page: on/off"
AUTO_PUBLISH = "Publish new versions by themselves when at least as good"
KEEP_PHOTOS = "Keep visitors' photos for review"


class AlbumSettingsForm(forms.ModelForm):
    fps = fps_field()
    visitor_photo_days = forms.IntegerField(
        label="Days a kept photo stays",
        min_value=VISITOR_PHOTO_DAYS_MIN,
        max_value=VISITOR_PHOTO_DAYS_MAX,
        initial=VISITOR_PHOTO_DAYS_DEFAULT,
        required=False,  # left out (an older page, a script): the album keeps its retention
    )

    class Meta:
        model = Album
        fields = ["name", "description", "fps", "published", "auto_publish", "keep_visitor_photos",
                  "visitor_photo_days"]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "published": VISITORS_PAGE,
            "auto_publish": AUTO_PUBLISH,
            "keep_visitor_photos": KEEP_PHOTOS,
        }

    def clean_visitor_photo_days(self) -> int:
        days = self.cleaned_data.get("visitor_photo_days")
        return self.instance.visitor_photo_days if days is None else days


class ThresholdForm(forms.Form):
    """A version's unknown threshold, from the slider; the reset button ignores it."""

    threshold = forms.FloatField(min_value=THRESHOLD_MIN, max_value=THRESHOLD_MAX, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("threshold") is None and "reset" not in self.data:
            raise forms.ValidationError("give a threshold, or reset to the calibrated one")
        return data


class ClassForm(forms.ModelForm):
    """A class and what visitors see about it; its name is unique in the album."""

    url = forms.URLField(label="Link", required=False, max_length=URL_MAX, assume_scheme="https")

    class Meta:
        model = AlbumClass
        fields = ["name", "title", "description", "url"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"title": "Title shown to visitors"}

    def __init__(self, album: Album, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.album = album
        self.instance.album = album

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.album.classes.filter(name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"the album already has a class named “{name}”")
        return name


class MoveForm(forms.Form):
    to_class = forms.ModelChoiceField(queryset=AlbumClass.objects.none(), label="Move to")

    def __init__(self, item: MediaItem, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        album = item.album_class.album
        self.fields["to_class"].queryset = album.classes.exclude(pk=item.album_class_id)  # type: ignore[attr-defined]


def error_text(form: forms.BaseForm) -> str:
    """A form's errors as one sentence, for a message on the page it came from."""
    parts = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = (field.label or name.replace("_", " ").capitalize()) if field else ""
        parts.extend(f"{label}: {e}" if label else str(e) for e in errors)
    return "; ".join(parts)
