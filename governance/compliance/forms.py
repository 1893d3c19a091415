"""The console's event filter: a validated form that yields an ``EventFilter``."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django import forms

from governance.ledger.actions import Action, Outcome

_CODE = re.compile(r"^[A-Za-z0-9:_.\-]{1,64}$")
_SUBJECT_CODE = re.compile(r"^HX-[0-9A-Z]{10}$")
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


@dataclass(frozen=True)
class EventFilter:
    """What to select from the ledger. Empty fields select everything."""

    actor: str = ""
    subject_code: str = ""
    action: str = ""
    purpose: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None  # exclusive: events strictly before this instant

    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def audit_codes(self) -> dict:
        """The filter as the audit event records it: codes and times only.

        The actor filter is free text (it may be anything an officer typed), so only
        whether one was given is recorded, never its value.
        """
        codes = {
            "subject": self.subject_code,
            "action": self.action,
            "purpose": self.purpose,
            "outcome": self.outcome,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        codes = {key: value for key, value in codes.items() if value}
        if self.actor:
            codes["actor_given"] = True
        return codes


class EventFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Actor (username or user ID)")
    subject_code = forms.CharField(required=False, max_length=13, label="Subject code")
    action = forms.ChoiceField(required=False, label="Action")
    purpose = forms.CharField(required=False, max_length=64, label="Project or purpose (e.g. grant:12)")
    outcome = forms.ChoiceField(
        required=False, label="Outcome", choices=[("", "Any")] + [(o, o.capitalize()) for o in Outcome.ALL]
    )
    since = forms.DateTimeField(
        required=False,
        label="From (UTC)",
        input_formats=_DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter the start as a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)."},
    )
    until = forms.DateTimeField(
        required=False,
        label="Until (UTC)",
        input_formats=_DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter the end as a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any")] + [(a, a) for a in sorted(Action.all())]

    def clean_actor(self) -> str:
        return self.cleaned_data["actor"].strip()

    def clean_subject_code(self) -> str:
        value = self.cleaned_data["subject_code"].strip().upper()
        if value and not _SUBJECT_CODE.match(value):
            raise forms.ValidationError("A subject code looks like HX- followed by 10 letters or digits.")
        return value

    def clean_purpose(self) -> str:
        value = self.cleaned_data["purpose"].strip()
        if value and not _CODE.match(value):
            raise forms.ValidationError("A purpose is a code such as grant:12 (letters, digits, : _ . -).")
        return value

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end must not be before the start.")
        return cleaned

    def _until_exclusive(self) -> datetime | None:
        """The end as typed includes its whole day (a date) or its whole minute (a time)."""
        until = self.cleaned_data["until"]
        if until is None:
            return None
        raw = str(self.data.get(self.add_prefix("until"), "")).strip()
        if len(raw) == 10:
            return until + timedelta(days=1)
        if len(raw) <= 16:
            return until + timedelta(minutes=1)
        return until + timedelta(seconds=1)

    def to_filter(self) -> EventFilter:
        """The validated filter. Call only after ``is_valid()`` returned True."""
        data = self.cleaned_data
        return EventFilter(
            actor=data["actor"],
            subject_code=data["subject_code"],
            action=data["action"],
            purpose=data["purpose"],
            outcome=data["outcome"],
            since=data["since"],
            until=self._until_exclusive(),
        )
