"""Withdrawal wins races: it commits under the subject's row lock (PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from consent import duo, services
from consent.models import Subject
from consent.selectors import consent_in_force
from governance.roles import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    for role in Role.ALL:
        Group.objects.get_or_create(name=role)


def test_a_withdrawal_waits_for_a_holder_of_the_subject_lock_and_is_seen_right_after(
    make_user, make_subject
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole transactions instead")
    user = make_user("racer", Role.PATIENT)
    subject = make_subject(user=user)
    services.consent_grant(
        actor=user,
        subject=subject,
        data_use={"permission": duo.GRU},
        categories=["genomic"],
        via="portal",
    )
    locked, release = threading.Event(), threading.Event()
    seen: dict = {}

    def holder():
        try:
            with transaction.atomic():
                Subject.objects.select_for_update().get(pk=subject.pk)
                locked.set()
                release.wait(20)
                seen["holder"] = consent_in_force(subject) is not None
        finally:
            connection.close()

    def withdrawer():
        try:
            locked.wait(20)
            services.consent_withdraw(
                actor=user, subject=Subject.objects.get(pk=subject.pk), via="portal"
            )
            seen["withdrawn"] = time.monotonic()
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=withdrawer)]
    for thread in threads:
        thread.start()
    assert locked.wait(20)
    time.sleep(1.0)
    assert "withdrawn" not in seen  # blocked on the row lock
    released = time.monotonic()
    release.set()
    for thread in threads:
        thread.join(30)
    assert seen["holder"] is True  # under the lock, the holder still saw consent in force
    assert seen["withdrawn"] >= released
    assert consent_in_force(subject) is None
