"""Researcher pages (/research/) and DAC pages (/dac/)."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib import messages
from django.http import Http404

from governance.errors import DomainError, NotFound


@contextmanager
def domain_errors(request, outcome: dict):
    """Turn a service's refusal into a message on the page; a hidden object into a 404.

    ``outcome["ok"]`` says whether the block finished without a domain error.
    """
    outcome["ok"] = False
    try:
        yield
        outcome["ok"] = True
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)


def with_activity(grants, now):
    """Mark each grant with ``is_active_now`` for the templates (which cannot pass ``now``)."""
    grants = list(grants)
    for grant in grants:
        grant.is_active_now = grant.is_active(now)
    return grants


def or_404(selector, **kwargs):
    """Call an access function; its ``NotFound`` (missing or forbidden alike) becomes a 404 page."""
    try:
        return selector(**kwargs)
    except NotFound:
        raise Http404 from None
