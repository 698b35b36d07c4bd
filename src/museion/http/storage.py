"""Local file storage whose files appear whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage

PARTIAL_PREFIX = ".partial-"  # a file being written; one left by a crash is swept by `museion cleanup`


class _Staged(File):
    """A file already on disk: Django's storage moves it into place with one rename."""

    def __init__(self, path: str) -> None:
        super().__init__(None, name=path)
        self.path = path

    def temporary_file_path(self) -> str:
        return self.path


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage writing each file beside its final name, then renaming it into place.

    Django's own writes the final file chunk by chunk: a process killed midway
    leaves half a photo under a name that looks complete.
    """

    def _save(self, name: str, content: Any) -> str:
        if hasattr(content, "temporary_file_path"):  # already whole on disk: Django renames it
            return super()._save(name, content)
        directory = Path(self.path(name)).parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(dir=directory, prefix=PARTIAL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return super()._save(name, _Staged(staged))
        finally:
            if os.path.exists(staged):
                os.unlink(staged)
