"""The jobs of an RQ queue by state (waiting, started, finished, failed), for the Tasks pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rq import Queue
from rq.job import Job

# How many jobs of each state a page shows (the newest ids of each registry).
MAX_JOBS_PER_STATE = 50
MAX_ERROR_CHARACTERS = 300


@dataclass(frozen=True)
class JobRow:
    """What a Tasks page shows of one job; times in UTC, None if not (yet) known."""

    id: str
    state: str
    function: str
    enqueued_at: datetime | None
    ended_at: datetime | None
    error: str


def jobs_by_state(queue: Queue) -> dict[str, list[JobRow]]:
    """The queue's waiting, started, finished and failed jobs (at most MAX_JOBS_PER_STATE
    each)."""
    ids = {
        "queued": queue.get_job_ids(),
        "started": queue.started_job_registry.get_job_ids(),
        "finished": queue.finished_job_registry.get_job_ids(),
        "failed": queue.failed_job_registry.get_job_ids(),
    }
    return {
        state: _rows(queue, state, job_ids[-MAX_JOBS_PER_STATE:]) for state, job_ids in ids.items()
    }


def _rows(queue: Queue, state: str, job_ids: list[str]) -> list[JobRow]:
    """The rows of the jobs that still exist (a job may expire between the two reads)."""
    jobs = Job.fetch_many(job_ids, connection=queue.connection)
    return [_row(job, state) for job in jobs if job is not None]


def _row(job: Job, state: str) -> JobRow:
    """One job's row; the failure's last line (shortened) as its error."""
    error = ""
    if state == "failed":
        info = job.latest_result().exc_string if job.latest_result() else ""
        lines = (info or "").strip().splitlines()
        error = lines[-1][:MAX_ERROR_CHARACTERS] if lines else ""
    return JobRow(
        id=job.id,
        state=state,
        function=job.func_name or "",
        enqueued_at=job.enqueued_at,
        ended_at=job.ended_at,
        error=error,
    )
