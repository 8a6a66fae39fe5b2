"""Background work of the licenses domain (Django Tasks API)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import_task(job_id: int) -> str:
    """Run a bulk import job; safe to retry (a finished job is left alone)."""
    from .importers import run_import

    return run_import(job_id=job_id).status


@task()
def expire_licenses_task() -> int:
    """Mark licenses past their last valid day as expired (schedule daily)."""
    from .services import expire_licenses

    return expire_licenses()
