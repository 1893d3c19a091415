"""Subject writes: registration with encrypted identifiers, linking a portal user."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.duo import disease_list
from consent.exceptions import SubjectIdentifierTaken
from consent.identifiers import seal_identifiers
from consent.models import (
    Sex,
    Subject,
    SubjectDiagnosis,
    new_subject_code,
)
from governance import keys
from governance.audit import Action, audit_append
from governance.errors import ValidationFailed
from governance.roles import Role, has_role

_MRN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
_POSTCODE_RE = re.compile(r"^[A-Za-z0-9 ]{0,10}$")
_SAMPLE_RE = re.compile(r"^[A-Za-z0-9_.-]{0,32}$")


def _user_or_none(actor):
    return actor if isinstance(actor, get_user_model()) else None


# --- subjects ---------------------------------------------------------------------------


def _clean_identifiers(*, name: str, email: str, mrn: str) -> tuple[str, str, str]:
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise ValidationFailed("name: required, at most 200 characters")
    email = (email or "").strip()
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed("email: not a valid email address") from None
    mrn = (mrn or "").strip()
    if not _MRN_RE.match(mrn):
        raise ValidationFailed(
            "mrn: required; letters, digits and / _ . - only, at most 64 characters"
        )
    return name, email, mrn


def subject_create(
    *,
    actor,
    name: str,
    email: str,
    mrn: str,
    birth_date: date | None,
    sex: str,
    postcode: str,
    ethnic_background: str,
    sample_id: str = "",
    diagnoses: Iterable[str] = (),
    user=None,
    now: datetime | None = None,
) -> Subject:
    """Register a subject under a fresh random public code.

    Name, email and MRN are stored only encrypted (the context binds each to its subject
    and field), with keyed blind indexes for exact lookup; an MRN or email already held by
    another subject is refused as ``SubjectIdentifierTaken``. Diagnoses are CURIEs
    (``ICD10:E10``, ``MONDO:0005147``).
    """
    now = now or timezone.now()
    name, email, mrn = _clean_identifiers(name=name, email=email, mrn=mrn)
    if birth_date is not None and (not isinstance(birth_date, date) or birth_date > now.date()):
        raise ValidationFailed("birth_date: expected a date not in the future")
    if sex not in Sex.values:
        raise ValidationFailed(f"sex: expected one of {', '.join(Sex.values)}")
    postcode = (postcode or "").strip().upper()
    if not _POSTCODE_RE.match(postcode):
        raise ValidationFailed("postcode: letters, digits and spaces, at most 10 characters")
    ethnic_background = (ethnic_background or "").strip()
    if len(ethnic_background) > 64:
        raise ValidationFailed("ethnic_background: at most 64 characters")
    if not _SAMPLE_RE.match(sample_id or ""):
        raise ValidationFailed("sample_id: letters, digits and _ . - only, at most 32 characters")
    terms = disease_list(list(diagnoses), "diagnoses", required=False)
    email_index = keys.blind_index(email, field="email")
    mrn_index = keys.blind_index(mrn, field="mrn")
    with transaction.atomic():
        if Subject.objects.filter(mrn_index=mrn_index).exists():
            raise SubjectIdentifierTaken("mrn: another subject already has this MRN")
        if Subject.objects.filter(email_index=email_index).exists():
            raise SubjectIdentifierTaken("email: another subject already has this email address")
        if user is not None and Subject.objects.filter(user=user).exists():
            raise SubjectIdentifierTaken("user: this user is already linked to a subject")
        code = new_subject_code()
        while Subject.objects.filter(code=code).exists():
            code = new_subject_code()
        subject = Subject(
            code=code,
            birth_date=birth_date,
            sex=sex,
            postcode=postcode,
            ethnic_background=ethnic_background,
            sample_id=sample_id or "",
            user=user,
            created_at=now,
        )
        seal_identifiers(subject, name=name, email=email, mrn=mrn)
        subject.full_clean()
        try:
            with transaction.atomic():
                subject.save(force_insert=True)
        except IntegrityError:
            raise SubjectIdentifierTaken(
                "mrn: another subject already has this MRN or email"
            ) from None
        SubjectDiagnosis.objects.bulk_create(
            [SubjectDiagnosis(subject=subject, term=t) for t in terms]
        )
        audit_append(
            actor=actor,
            action=Action.SUBJECT_CREATE,
            object_type="subject",
            object_id=code,
            subject_code=code,
            extra={"diagnoses": len(terms), "linked_user": user.pk if user is not None else None},
            now=now,
        )
    return subject


def subject_link_user(*, actor, subject: Subject, user, now: datetime | None = None) -> Subject:
    """Link a portal user (who must hold the patient role) to ``subject``."""
    now = now or timezone.now()
    if not has_role(user, Role.PATIENT):
        raise ValidationFailed("user: only a user with the patient role can be linked to a subject")
    with transaction.atomic():
        locked = Subject.objects.select_for_update().get(pk=subject.pk)
        if Subject.objects.filter(user=user).exclude(pk=locked.pk).exists():
            raise SubjectIdentifierTaken("user: this user is already linked to another subject")
        locked.user = user
        locked.save(update_fields=["user"])
        audit_append(
            actor=actor,
            action=Action.SUBJECT_LINK_USER,
            object_type="subject",
            object_id=locked.code,
            subject_code=locked.code,
            extra={"user_id": user.pk},
            now=now,
        )
    subject.user = user
    return subject
