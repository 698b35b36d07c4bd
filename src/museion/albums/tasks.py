"""Celery tasks: each one runs a Job through `jobs.run`, so states are kept the same way."""

from __future__ import annotations

from celery import shared_task

from museion.albums import jobs, training


@shared_task(name="museion.albums.extract_video", acks_late=True, reject_on_worker_lost=True)
def extract_video(job_id: int) -> None:
    jobs.run(job_id, training.extract_video)


@shared_task(name="museion.albums.train", acks_late=True, reject_on_worker_lost=True)
def train(job_id: int) -> None:
    jobs.run(job_id, training.train_album)


def enqueue(job_id: int, kind: str) -> None:
    """Send a job to its queue once the transaction that made it has committed."""
    from django.db import transaction

    task, queue = (train, "train") if kind == "train" else (extract_video, "video")
    transaction.on_commit(lambda: task.apply_async((job_id,), queue=queue))
