"""Running a Job: claim it once, report progress, honour cancellation, never leave it running."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection
from django.db.models import Q
from django.utils import timezone

from museion.albums.models import Job
from museion.http.storage import PARTIAL_PREFIX

log = logging.getLogger("museion.albums")


class Cancelled(Exception):
    """Raised inside a job's work when someone cancelled it."""


class Reporter:
    """What a job's work calls to say how far it is; raises Cancelled when asked to stop."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def __call__(self, fraction: float, stage: str) -> None:
        now = timezone.now()
        updated = Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING).update(
            progress=max(0.0, min(1.0, fraction)), stage=stage[:200], heartbeat=now
        )
        if updated != 1:
            raise Cancelled


def run(job_id: int, work: Callable[[Job, Reporter], dict]) -> None:
    """Claim the queued job, run `work`, and record how it ended."""
    fail_stale()  # a job another worker left behind when it died ends now
    now = timezone.now()
    # Only one worker wins the claim: a redelivered message finds the job no longer queued.
    if (
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING, started=now, heartbeat=now, stage="starting"
        )
        != 1
    ):
        return
    job = Job.objects.get(pk=job_id)
    with Heartbeat(job_id):
        try:
            result = work(job, Reporter(job))
        except Cancelled:
            log.info("job %s was cancelled", job_id)
            return
        except Exception as exc:
            log.exception("job %s failed", job_id)
            finish(job_id, Job.Status.FAILED, error=str(exc) or type(exc).__name__)
            return
    finish(job_id, Job.Status.SUCCEEDED, result=result)


class Heartbeat:
    """While a job runs, touch its heartbeat often, however long a stage takes without reporting."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.every = settings.JOB_STALE_SECONDS / 6
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING).update(
                        heartbeat=timezone.now()
                    )
                except DatabaseError as exc:  # a busy or briefly unreachable database: beat again later
                    log.warning("job %s heartbeat not written: %s", self.job_id, exc)
        finally:
            connection.close()  # this thread's own connection


def finish(job_id: int, status: str, *, error: str = "", result: dict | None = None) -> bool:
    """Move a running job to its end state; a job cancelled meanwhile stays cancelled."""
    fields = {"status": status, "finished": timezone.now(), "error": error[:2000]}
    if status == Job.Status.SUCCEEDED:
        # A job that ended early but usefully (frames up to the quota) says why in its stage.
        fields.update(progress=1.0, stage=(result or {}).get("warning", "done")[:200], result=result or {})
    return Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(**fields) == 1


def fail_queued(job_id: int, error: str) -> None:
    Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.FAILED, finished=timezone.now(), stage="failed", error=error
    )


def cancel(job: Job) -> bool:
    updated = Job.objects.filter(pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.CANCELLED, finished=timezone.now(), stage="cancelled"
    )
    job.refresh_from_db()
    return updated == 1


def fail_stale() -> int:
    """Mark failed the running jobs whose worker stopped reporting (killed, machine lost)."""
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    silent = Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True)
    failed = 0
    for pk, album_id, kind in Job.objects.filter(silent, status=Job.Status.RUNNING).values_list(
        "pk", "album_id", "kind"
    ):
        # Filtered again: its worker may have written a heartbeat meanwhile.
        if Job.objects.filter(silent, pk=pk, status=Job.Status.RUNNING).update(
            status=Job.Status.FAILED, finished=timezone.now(), error="the worker running this job stopped"
        ):
            failed += 1
            if kind == Job.Kind.TRAIN:
                discard_bundle(album_id, pk)
    return failed


def bundle_name(album_id: int, job_id: int) -> str:
    return f"albums/{album_id}/models/{job_id}.zip"


def discard_bundle(album_id: int, job_id: int) -> None:
    """What a dead training left in storage: its bundle, unless a version holds it, and half-written files."""
    from museion.albums.models import ModelVersion

    name = bundle_name(album_id, job_id)
    if not ModelVersion.objects.filter(bundle=name).exists():
        default_storage.delete(name)
    folder = str(PurePosixPath(name).parent)
    if default_storage.exists(folder):
        for leftover in default_storage.listdir(folder)[1]:
            if leftover.startswith(PARTIAL_PREFIX):  # one training per album: no other writer there
                default_storage.delete(f"{folder}/{leftover}")
