"""Adding pictures to a class: photos, zips of photos, and videos (frames come later, in a job).

Each upload is judged by its content, never its name. A bad file is refused
with its reason; in a zip, bad entries are listed and the good ones go in.
"""

from __future__ import annotations

import io
import stat
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from museion.accounts.models import User
from museion.albums import heavy
from museion.albums.errors import MediaError
from museion.albums.models import Album, AlbumClass, Job, MediaItem, SourceVideo
from museion.albums.quota import check_room, stored_within_quota
from museion.config import settings
from museion.vision.errors import ImageError, VideoError
from museion.vision.images import open_photo, read_bytes, sniff
from museion.vision.video import MAX_PIXELS as MAX_VIDEO_PIXELS
from museion.vision.video import probe

MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_BYTES = 1_000_000_000  # uncompressed, all entries together
MAX_VIDEO_SECONDS = 10 * 60
SYSTEM_FILES = (".DS_Store", "Thumbs.db", "desktop.ini")
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".3gp")
VIDEO_BRANDS = (b"ftyp", b"moov", b"mdat", b"wide", b"free")


@dataclass
class Added:
    items: list[MediaItem] = field(default_factory=list)
    job: Job | None = None
    problems: list[dict] = field(default_factory=list)


def safe_name(name: str) -> str:
    """A display name from a client's file name: no folders, no control characters, not too long."""
    base = PurePosixPath(name.replace("\\", "/")).name
    cleaned = "".join(c for c in base if c.isprintable() and c not in "\x00/")
    return cleaned[-120:] or "upload"


def kind_of(data: bytes) -> str | None:
    if sniff(data) is not None:
        return "image"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[4:8] in VIDEO_BRANDS or data[:4] == b"\x1a\x45\xdf\xa3" or data[:4] == b"RIFF":
        return "video"  # MP4/MOV, Matroska/WebM, AVI
    return None


def add_upload(album_class: AlbumClass, name: str, data: bytes, by: User | None = None) -> Added:
    """Add what was uploaded (by `by`, whose heavy work in flight is limited: `heavy.Busy`)."""
    check_room(album_class.album.workspace, len(data))
    kind = kind_of(data)
    if kind == "image":
        return Added(items=[add_photo(album_class, name, data)])
    if kind == "zip":
        with heavy.zip_slot(album_class.album.workspace, by):
            return add_zip(album_class, data)
    if kind == "video":
        return add_video(album_class, name, data, by)
    if not data:
        raise MediaError("empty_file", _("the file is empty"))
    if PurePosixPath(safe_name(name)).suffix.lower() in VIDEO_SUFFIXES:
        raise MediaError("not_a_video", _("this file's content is not a video, though its name says so"))
    raise MediaError(
        "unsupported_media", _("send a photo, a .zip of photos, or a video (mp4, mov, webm, mkv)")
    )


def add_photo(album_class: AlbumClass, name: str, data: bytes) -> MediaItem:
    try:
        # Decoded only to be judged (its size, and whether it is whole): kept small.
        photo = open_photo(data, target_size=lambda width, height: (min(width, 64), min(height, 64)))
    except ImageError as exc:
        raise MediaError(exc.code, str(exc)) from None
    return save_picture(album_class, safe_name(name), data, photo.width, photo.height, ext=_ext(photo.format))


def save_picture(
    album_class: AlbumClass,
    name: str,
    data: bytes,
    width: int,
    height: int,
    *,
    ext: str = "jpg",
    source: SourceVideo | None = None,
    time: float = 0.0,
) -> MediaItem:
    """Store the file, then the row; a failed row write removes the file again."""
    name_in_storage = f"albums/{album_class.album_id}/{uuid.uuid4().hex}.{ext}"
    with stored_within_quota(album_class.album.workspace, name_in_storage, data) as path:
        return MediaItem.objects.create(
            album_class=album_class,
            file=path,
            size=len(data),
            name=name,
            width=width,
            height=height,
            source=source,
            time=time,
        )


def _ext(fmt: str | None) -> str:
    return {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic", "AVIF": "avif"}.get(
        fmt or "", "img"
    )


def add_zip(album_class: AlbumClass, data: bytes) -> Added:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise MediaError("bad_zip", _("the zip file is damaged: %(reason)s") % {"reason": exc}) from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise MediaError(
            "zip_too_large",
            _("the zip holds %(count)s entries; the limit is %(limit)s")
            % {"count": len(entries), "limit": MAX_ZIP_ENTRIES},
        )
    if sum(e.file_size for e in entries) > MAX_ZIP_BYTES:
        raise MediaError("zip_too_large", _("the zip unpacks to more than 1 GB"))
    # What the pictures would take once unpacked: the whole zip is refused, never half of it.
    check_room(album_class.album.workspace, sum(e.file_size for e in entries if _entry_problem(e) is None))
    added = Added()
    for entry in entries:
        problem = _entry_problem(entry)
        if problem is None:
            try:
                added.items.append(add_photo(album_class, entry.filename, _inflate(archive, entry)))
                continue
            except MediaError as exc:
                problem = exc.message
            except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, EOFError) as exc:
                problem = f"cannot be read ({exc})"
        if problem != "skip":
            added.problems.append({"file": safe_name(entry.filename), "reason": problem})
    return added


def _inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, inflated in bounded pieces, never past its declared size.

    zipfile inflates at most what each read asks for and stops at the declared size (a
    header that understates it ends in a CRC error); the declared size was judged against
    the image byte limit already (`_entry_problem`). Asking for the limit instead would
    inflate that much from a header that claims 1 KB.
    """
    try:
        with archive.open(entry) as stream:
            return read_bytes(stream, min(entry.file_size, settings().max_image_bytes))
    except ImageError as exc:
        raise MediaError(exc.code, str(exc)) from None


def _entry_problem(entry: zipfile.ZipInfo) -> str | None:
    """Why an entry is not imported ("skip": say nothing), or None to import it.

    The path is judged with Windows separators read as folders, before anything is
    skipped: `..\\x.jpg` is refused and reported, not taken for a hidden file.
    """
    path = PurePosixPath(entry.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or _has_drive(entry.filename):
        return "a path outside the archive is refused"
    if entry.is_dir():
        return "skip"
    if stat.S_ISLNK(entry.external_attr >> 16):
        return "symbolic links are not followed"
    if not path.name:  # "." or "./" (found by fuzzing: it was a 500)
        return "an entry without a file name is refused"
    if path.parts[0] == "__MACOSX" or path.name.startswith("._") or path.name in SYSTEM_FILES:
        return "skip"  # what macOS and Windows add to every zip they make, not the user's files
    if entry.filename.lower().endswith(".zip"):
        return "zips inside zips are not opened"
    limit = settings().max_image_bytes
    if entry.file_size > limit:  # judged by the declared size, before inflating anything
        return f"the file is {entry.file_size / 1e6:.1f} MB; the limit is {limit / 1e6:.1f} MB"
    return None


def _has_drive(name: str) -> bool:
    return len(name) >= 2 and name[1] == ":" and name[0].isalpha()


def add_video(album_class: AlbumClass, name: str, data: bytes, by: User | None = None) -> Added:
    try:
        info = probe(data)
    except VideoError as exc:
        raise MediaError(exc.code, str(exc)) from None
    if (info["width"] or 0) * (info["height"] or 0) > MAX_VIDEO_PIXELS:
        raise MediaError(
            "video_too_large", _("the video is %(width)sx%(height)s; the limit is 8K (7680x4320)") % info
        )
    if info["duration"] is not None and info["duration"] > MAX_VIDEO_SECONDS:
        raise MediaError(
            "video_too_long",
            _("the video lasts %(minutes)s min; the limit is 10 min")
            % {"minutes": f"{info['duration'] / 60:.0f}"},
        )
    workspace = album_class.album.workspace
    name_in_storage = f"albums/{album_class.album_id}/videos/{uuid.uuid4().hex}"
    with stored_within_quota(workspace, name_in_storage, data) as path:
        heavy.admit_video(workspace, by)
        video = SourceVideo.objects.create(
            album_class=album_class,
            file=path,
            size=len(data),
            name=safe_name(name),
            duration=info["duration"],
        )
        job = Job.objects.create(
            album=album_class.album, kind=Job.Kind.VIDEO, video=video, stage="queued", created_by=by
        )
    return Added(job=job)


ROTATIONS = (90, 180, 270)  # degrees clockwise, as a curator turns a picture


def rotate_item(item: MediaItem, degrees: int) -> MediaItem:
    """Turn a stored picture by `degrees` clockwise: the turned file replaces the stored one (saved
    as a new file through storage; the old one goes once the row says so), and the picture's cached
    embeddings are dropped, so the next training computes them from what the picture now shows."""
    if degrees not in ROTATIONS:
        raise MediaError("invalid_rotation", _("turn a picture by 90, 180 or 270 degrees"))
    with item.file.open("rb") as stored:
        photo = open_photo(stored.read())
    buffer = io.BytesIO()
    # PIL turns counter-clockwise; the picture is upright already (EXIF applied), so none is kept.
    photo.image.rotate(-degrees, expand=True).save(buffer, "JPEG", quality=92)
    data = buffer.getvalue()
    former = item.file.name
    workspace = item.album_class.album.workspace
    name_in_storage = f"albums/{item.album_class.album_id}/{uuid.uuid4().hex}.jpg"
    with stored_within_quota(workspace, name_in_storage, data, room=max(0, len(data) - item.size)) as path:
        item.file.name, item.size = path, len(data)
        turned = degrees != 180
        item.width, item.height = (photo.height, photo.width) if turned else (photo.width, photo.height)
        item.save(update_fields=["file", "size", "width", "height"])
        item.embeddings.all().delete()
    _delete_files_on_commit([former])
    return item


def discard_video(job: Job) -> None:
    """Undo `add_video`: its job, its video row and file."""
    video = job.video
    job.delete()
    if video is not None:
        name = video.file.name
        video.delete()
        _delete_files_on_commit([name])


def delete_video(video: SourceVideo) -> None:
    """The clip and its file; its frames go with it, its jobs stay in the album's history."""
    names = [video.file.name, *video.items.values_list("file", flat=True)]
    video.delete()
    _delete_files_on_commit(names)


def delete_item(item: MediaItem) -> None:
    name = item.file.name
    item.delete()
    _delete_files_on_commit([name])


def delete_class(album_class: AlbumClass) -> None:
    """The class, its pictures, videos and cover, files included."""
    names = [
        *album_class.media.values_list("file", flat=True),
        *album_class.videos.values_list("file", flat=True),
    ]
    names.append(album_class.cover.name)
    album_class.delete()
    _delete_files_on_commit(names)


def delete_album(album: Album) -> None:
    """The album with everything in it, files included."""
    names = [
        *MediaItem.objects.filter(album_class__album=album).values_list("file", flat=True),
        *SourceVideo.objects.filter(album_class__album=album).values_list("file", flat=True),
        *album.classes.values_list("cover", flat=True),
        *album.versions.values_list("bundle", flat=True),
        *album.review_items.values_list("file", flat=True),
    ]
    album.delete()
    _delete_files_on_commit(names)


def _delete_files_on_commit(names: list[str]) -> None:
    # Files go once the rows are gone for good, so a rolled-back delete keeps its files.
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names if n])
