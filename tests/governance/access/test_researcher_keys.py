"""Researcher Crypt4GH keys: the PEM format, one active key, audited replacement."""

from __future__ import annotations

import base64
import hashlib

import pytest

from genomics.crypt4gh import generate_keypair, public_key_pem
from governance.access import selectors, services
from governance.access.models import ResearcherKey
from governance.errors import PermissionDenied, ValidationFailed
from governance.ledger.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_registering_a_crypt4gh_pem_key_stores_the_raw_32_bytes_and_audits_the_fingerprint(
    personas,
):
    public = generate_keypair()[1]
    key = services.researcher_key_register(
        actor=personas.researcher, public_key_pem=public_key_pem(public), now=T0
    )
    key.refresh_from_db()
    assert key.public_key_bytes == public
    assert key.fingerprint == hashlib.sha256(public).hexdigest()
    assert selectors.researcher_public_key(user=personas.researcher) == public
    event = AuditEvent.objects.get(action="access.researcher_key_register")
    assert event.object_id == str(key.pk)
    assert event.extra == {"fingerprint": key.fingerprint}


def test_a_new_key_deactivates_the_old_one_and_both_changes_are_audited(personas):
    first = services.researcher_key_register(
        actor=personas.researcher, public_key_pem=public_key_pem(generate_keypair()[1]), now=T0
    )
    second_public = generate_keypair()[1]
    second = services.researcher_key_register(
        actor=personas.researcher, public_key_pem=public_key_pem(second_public), now=T0
    )
    first.refresh_from_db()
    assert not first.is_active and first.deactivated_at == T0
    assert second.is_active
    assert ResearcherKey.objects.filter(user=personas.researcher, is_active=True).count() == 1
    assert selectors.researcher_public_key(user=personas.researcher) == second_public
    actions = list(
        AuditEvent.objects.filter(action__startswith="access.researcher_key").values_list(
            "action", "object_id"
        )
    )
    assert actions == [
        ("access.researcher_key_register", str(first.pk)),
        ("access.researcher_key_deactivate", str(first.pk)),
        ("access.researcher_key_register", str(second.pk)),
    ]


@pytest.mark.parametrize(
    "text, fragment",
    [
        (
            "-----BEGIN CRYPT4GH PUBLIC KEY-----\n"
            + base64.b64encode(b"x" * 31).decode()
            + "\n-----END CRYPT4GH PUBLIC KEY-----\n",
            "32 bytes",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\n"
            + base64.b64encode(b"x" * 32).decode()
            + "\n-----END PUBLIC KEY-----\n",
            "CRYPT4GH PUBLIC KEY",
        ),
        (
            "-----BEGIN CRYPT4GH PUBLIC KEY-----\nnot base64!\n-----END CRYPT4GH PUBLIC KEY-----\n",
            "base64",
        ),
        ("", "public_key"),
    ],
)
def test_malformed_keys_are_refused_naming_the_field_and_nothing_is_stored(
    personas, text, fragment
):
    with pytest.raises(ValidationFailed) as caught:
        services.researcher_key_register(actor=personas.researcher, public_key_pem=text, now=T0)
    assert caught.value.message.startswith("public_key:")
    assert fragment in caught.value.message
    assert not ResearcherKey.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


def test_a_user_without_the_researcher_role_cannot_register_a_key(personas):
    with pytest.raises(PermissionDenied):
        services.researcher_key_register(
            actor=personas.patient, public_key_pem=public_key_pem(generate_keypair()[1])
        )
    assert not ResearcherKey.objects.exists()
