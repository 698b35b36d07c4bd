"""Celery tasks: each one runs a Job through `jobs.run`, so states are kept the same way."""

from __future__ import annotations

from celery import shared_task
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy.exc import IntegrityError

from museion.albums import jobs, training


@shared_task(name="museion.albums.extract_video", acks_late=True, reject_on_worker_lost=True)
def extract_video(job_id: int) -> None:
    jobs.run(job_id, training.extract_video)


@shared_task(name="museion.albums.train", acks_late=True, reject_on_worker_lost=True)
def train(job_id: int) -> None:
    jobs.run(job_id, training.train_album)


def enqueue(job_id: int, kind: str) -> None:
    """Send a job to its queue once the transaction that made it has committed.

    Outside a transaction (a request) that is now. If the broker cannot take
    the message, the job fails at once and the broker's error propagates, so
    that the caller answers 503 and no job waits in "queued" for a message
    that was never sent.
    """
    from django.db import transaction

    task, queue = (train, "train") if kind == "train" else (extract_video, "video")

    def send() -> None:
        try:
            _publish(task, job_id, queue)
        except BrokerError:
            jobs.fail_queued(job_id, "the job queue (Celery broker) could not be reached; try again")
            raise

    transaction.on_commit(send)


def _publish(task, job_id: int, queue: str) -> None:
    try:
        task.apply_async((job_id,), queue=queue)
    except IntegrityError:
        # The embedded SQLite broker: a worker starting at the same moment created the queue's
        # row between kombu's lookup and its insert. The row is there now; send once more.
        task.apply_async((job_id,), queue=queue)
