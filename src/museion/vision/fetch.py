"""Finding a model's file: the cache, then the operator's mirror folders, then the network.

A file in a mirror folder belongs to the operator and is used as it is. Its
sha256 is recorded in `sources.json` beside the cache, and a difference from
the catalog's pinned hash is logged as a warning, not refused: operators may
legitimately hold a re-exported or re-quantised copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pooch
import requests

from museion.config import Settings, settings
from museion.vision.catalog import Catalog, ModelSpec
from museion.vision.dequantize import Agreement, derive_float_model
from museion.vision.errors import ModelUnavailable

log = logging.getLogger("museion.vision")

Source = Literal["cache", "mirror", "download", "derived"]
DOWNLOAD_TIMEOUT_S = 60
_lock = threading.Lock()


@dataclass(frozen=True)
class ModelFile:
    path: Path
    source: Source
    sha256: str | None = None
    origin: Path | None = None  # for a derived model: the file it was made from


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def locate(spec: ModelSpec, config: Settings | None = None) -> ModelFile | None:
    """Where the model's file is on this machine, without downloading anything.

    A derived model (`spec.derived_from`) is built into the cache here, the first time
    its source is found on this machine.
    """
    config = config or settings()
    cached = config.model_dir / spec.file
    if spec.derived_from:
        return _derived(spec, config, download=False)
    if cached.is_file():
        return ModelFile(cached, "cache")
    for folder in config.model_mirrors:
        candidate = folder / spec.file
        if candidate.is_file():
            return ModelFile(candidate, "mirror", _record_mirror_file(spec, candidate, config))
    return None


def fetch(spec: ModelSpec, config: Settings | None = None, *, progress: bool = False) -> ModelFile:
    """Locate the model's file, downloading it into the cache if it is nowhere here."""
    config = config or settings()
    if spec.derived_from:
        return _derived(spec, config, download=True, progress=progress)  # type: ignore[return-value]
    found = locate(spec, config)
    if found is not None:
        return found
    if not spec.url:
        raise ModelUnavailable(
            f"the file {spec.file} of model {spec.name!r} is missing from {config.model_dir}; "
            f"import it again with `museion models import`"
        )
    return ModelFile(_download(spec, config, progress), "download", spec.sha256)


def _derived(
    spec: ModelSpec, config: Settings, *, download: bool, progress: bool = False
) -> ModelFile | None:
    """The derived model's file, made from its source's file when the cache lacks it."""
    target = config.model_dir / spec.file
    source_spec = Catalog(config.model_dir).get(spec.derived_from or "")
    source = fetch(source_spec, config, progress=progress) if download else locate(source_spec, config)
    if source is None:
        return None
    with _lock:
        ledger_path = config.model_dir / "sources.json"
        entry = _read_ledger(ledger_path).get(spec.name, {})
        source_sha = source.sha256 or sha256_of(source.path)
        if target.is_file() and entry.get("source_sha256") == source_sha:
            return ModelFile(target, "derived", entry.get("sha256"), source.path)
        agreement = _derive(spec, source_spec, source.path, target)
        digest = sha256_of(target)
        ledger = _read_ledger(ledger_path)
        ledger[spec.name] = {
            "derived_from": str(source.path),
            "source_sha256": source_sha,
            "sha256": digest,
            "agreement": agreement.to_dict(),
        }
        _write_ledger(ledger_path, ledger)
    log.info("%s: derived %s from %s (%s)", spec.name, target, source.path, agreement)
    return ModelFile(target, "derived", digest, source.path)


def _derive(spec: ModelSpec, source_spec: ModelSpec, source: Path, target: Path) -> Agreement:
    try:
        return derive_float_model(source, target, source_spec.input, spec.output)
    except OSError as exc:
        raise ModelUnavailable(f"cannot write the model {spec.name!r} to {target}: {exc}") from None


def _download(spec: ModelSpec, config: Settings, progress: bool) -> Path:
    try:
        config.model_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelUnavailable(f"cannot create the model directory {config.model_dir}: {exc}") from None
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=DOWNLOAD_TIMEOUT_S)
    try:
        # pooch writes to a temporary file beside the target and moves it into
        # place only once the hash matches, so a failure leaves nothing behind.
        path = pooch.retrieve(
            spec.url,
            known_hash=f"sha256:{spec.sha256}" if spec.sha256 else None,
            fname=spec.file,
            path=config.model_dir,
            downloader=downloader,
        )
    except ValueError as exc:
        raise ModelUnavailable(f"the download of {spec.name!r} from {spec.url} was refused: {exc}") from None
    except (OSError, requests.RequestException) as exc:
        raise ModelUnavailable(
            f"cannot download {spec.name!r} from {spec.url} ({type(exc).__name__}). "
            f"Without internet access, put {spec.file} in a folder and set "
            f"MUSEION_MODEL_MIRROR to that folder, or register a local file with "
            f"`museion models import`."
        ) from None
    return Path(path)


def _record_mirror_file(spec: ModelSpec, path: Path, config: Settings) -> str:
    stat = path.stat()
    ledger_path = config.model_dir / "sources.json"
    with _lock:
        ledger = _read_ledger(ledger_path)
        entry = ledger.get(spec.name, {})
        seen = {"path": str(path), "size": stat.st_size, "mtime": stat.st_mtime}
        if entry.get("sha256") and all(entry.get(k) == v for k, v in seen.items()):
            return entry["sha256"]
        digest = sha256_of(path)
        ledger[spec.name] = {**seen, "sha256": digest}
        _write_ledger(ledger_path, ledger)
    # Said once, when the file is first recorded, not on every use.
    _warn_on_mismatch(spec, path, digest)
    return digest


def _warn_on_mismatch(spec: ModelSpec, path: Path, digest: str) -> None:
    if spec.sha256 and digest != spec.sha256:
        log.warning(
            "%s: %s has sha256 %s, not the catalog's %s; using it as the operator's own copy",
            spec.name,
            path,
            digest,
            spec.sha256,
        )


def _read_ledger(path: Path) -> dict:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _write_ledger(path: Path, ledger: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(ledger, indent=2, sort_keys=True), "utf-8")
        tmp.replace(path)
    except OSError as exc:
        # A read-only home must not stop inference; the hash is simply not kept.
        log.debug("cannot record mirror hashes in %s: %s", path, exc)


def remove(spec: ModelSpec, config: Settings | None = None) -> Path | None:
    """Delete the cached copy (never a mirror file). Returns the path removed, if any."""
    config = config or settings()
    cached = config.model_dir / spec.file
    if cached.is_file():
        cached.unlink()
        return cached
    return None
