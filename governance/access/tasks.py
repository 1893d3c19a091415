"""Periodic work of access governance (scheduled in CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from governance.access.services import access_grants_expire


@shared_task(name="governance.access_grants_expire")
def access_grants_expire_task() -> int:
    return access_grants_expire()
