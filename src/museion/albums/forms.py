"""Forms of the album pages. The uploads, training and predictions go through the JSON API instead."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from museion.accounts.models import Role, User, Workspace
from museion.accounts.workspaces import workspaces_of
from museion.albums import languages
from museion.albums.models import (
    DESCRIPTION_MAX,
    FPS_DEFAULT,
    NAME_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    TITLE_MAX,
    URL_MAX,
    VISITOR_PHOTO_DAYS_DEFAULT,
    VISITOR_PHOTO_DAYS_MAX,
    VISITOR_PHOTO_DAYS_MIN,
    Album,
    AlbumClass,
    MediaItem,
)
from museion.vision.video import FPS_MAX, FPS_MIN

FPS_HELP = format_lazy(
    _("Frames taken per second of an uploaded video ({low} to {high})."),
    low=f"{FPS_MIN:g}",
    high=f"{FPS_MAX:g}",
)


def fps_field(**options: object) -> forms.FloatField:
    return forms.FloatField(
        label=_("Frames per second"), min_value=FPS_MIN, max_value=FPS_MAX, help_text=FPS_HELP, **options
    )


class AlbumForm(forms.Form):
    """A new album, in one of the user's workspaces (the service checks the editor role)."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    workspace = forms.ModelChoiceField(
        label=_("Workspace"), queryset=Workspace.objects.none(), empty_label=None
    )
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
            raise forms.ValidationError(_("give the album a name"))
        return name


VISITORS_PAGE = _("Visitors' page: on/off")
AUTO_PUBLISH = _("Publish new versions by themselves when at least as good")
KEEP_PHOTOS = _("Keep visitors' photos for review")
DEFAULT_LANGUAGE = _("Language of the cards")


def language_tag(value: str) -> str:
    """A form's language field, normalised (`zh-Hans` -> `zh-hans`), or its error."""
    try:
        return languages.normalise(value)
    except languages.BadTag as exc:
        raise forms.ValidationError(exc.message) from None


class AlbumSettingsForm(forms.ModelForm):
    fps = fps_field()
    visitor_photo_days = forms.IntegerField(
        label=_("Days a kept photo stays"),
        min_value=VISITOR_PHOTO_DAYS_MIN,
        max_value=VISITOR_PHOTO_DAYS_MAX,
        initial=VISITOR_PHOTO_DAYS_DEFAULT,
        required=False,  # left out (an older page, a script): the album keeps its retention
    )

    class Meta:
        model = Album
        fields = ["name", "description", "fps", "published", "auto_publish", "keep_visitor_photos",
                  "visitor_photo_days", "default_language"]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {
            "default_language": DEFAULT_LANGUAGE,
            "name": _("Name"),
            "description": _("Description"),
            "published": VISITORS_PAGE,
            "auto_publish": AUTO_PUBLISH,
            "keep_visitor_photos": KEEP_PHOTOS,
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Left out (an older page, a script): the album keeps its language.
        self.fields["default_language"].required = False

    def clean_visitor_photo_days(self) -> int:
        days = self.cleaned_data.get("visitor_photo_days")
        return self.instance.visitor_photo_days if days is None else days

    def clean_default_language(self) -> str:
        value = self.cleaned_data.get("default_language")
        return language_tag(value) if value else self.instance.default_language


class TranslationForm(forms.Form):
    """A class's title and description in one more language (both empty, or `remove`: none)."""

    lang = forms.CharField(label="Language", max_length=languages.TAG_MAX)
    # dir=auto: Arabic or Hebrew is typed right to left, whatever the page's direction.
    title = forms.CharField(
        label="Title shown to visitors",
        max_length=TITLE_MAX,
        required=False,
        widget=forms.TextInput({"dir": "auto"}),
    )
    description = forms.CharField(
        max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"})
    )

    def clean_lang(self) -> str:
        return language_tag(self.cleaned_data["lang"])


class ThresholdForm(forms.Form):
    """A version's unknown threshold, from the slider; the reset button ignores it."""

    threshold = forms.FloatField(min_value=THRESHOLD_MIN, max_value=THRESHOLD_MAX, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("threshold") is None and "reset" not in self.data:
            raise forms.ValidationError(_("give a threshold, or reset to the calibrated one"))
        return data


class ClassForm(forms.ModelForm):
    """A class and what visitors see about it; its name is unique in the album."""

    url = forms.URLField(label=_("Link"), required=False, max_length=URL_MAX, assume_scheme="https")

    class Meta:
        model = AlbumClass
        fields = ["name", "title", "description", "url"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"name": _("Name"), "title": _("Title shown to visitors"), "description": _("Description")}

    def __init__(self, album: Album, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.album = album
        self.instance.album = album

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if self.album.classes.filter(name=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("the album already has a class named “%(name)s”") % {"name": name})
        return name


class MoveForm(forms.Form):
    to_class = forms.ModelChoiceField(queryset=AlbumClass.objects.none(), label=_("Move to"))

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
