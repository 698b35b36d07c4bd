"""Running a Job: claim it once, report progress, honour cancellation, never leave it running."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from museion.albums.models import Job

log = logging.getLogger("museion.albums")
STALE_AFTER = timedelta(minutes=10)  # a running job whose worker is silent this long has died


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


def finish(job_id: int, status: str, *, error: str = "", result: dict | None = None) -> bool:
    """Move a running job to its end state; a job cancelled meanwhile stays cancelled."""
    fields = {"status": status, "finished": timezone.now(), "error": error[:2000]}
    if status == Job.Status.SUCCEEDED:
        fields.update(progress=1.0, stage="done", result=result or {})
    return Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(**fields) == 1


def cancel(job: Job) -> bool:
    updated = Job.objects.filter(pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.CANCELLED, finished=timezone.now(), stage="cancelled"
    )
    job.refresh_from_db()
    return updated == 1


def fail_stale() -> int:
    """Mark failed the running jobs whose worker stopped reporting (killed, machine lost)."""
    cutoff = timezone.now() - STALE_AFTER
    return (
        Job.objects.filter(status=Job.Status.RUNNING)
        .filter(Q(heartbeat__lt=cutoff) | Q(heartbeat__isnull=True))
        .update(
            status=Job.Status.FAILED, finished=timezone.now(), error="the worker running this job stopped"
        )
    )
