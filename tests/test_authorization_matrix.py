"""Every URL in the URLconf, as every persona and anonymously: no unexpected 2xx.

``ALLOWED`` lists, per URL name, who may get a 2xx from a GET. Anything not listed must
answer with a redirect to login, 401/403/404/405, never a 2xx. ``SAMPLE_KWARGS`` gives
values for URL parameters; an object that does not exist must 404 for everyone.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ANYONE = {"anonymous", "steward", "researcher", "outsider", "patient", "other_patient", "dac_member", "compliance"}
LOGGED_IN = ANYONE - {"anonymous"}

# URL name -> personas allowed a 2xx on GET.
ALLOWED: dict[str, set[str]] = {
    "login": ANYONE,
    "healthz": ANYONE,
    "jwks": ANYONE,
    "home": {"outsider"},  # others are redirected to their role's home; no role sees a notice
    "api:me": LOGGED_IN,
    "schema": LOGGED_IN,
    "api-docs": LOGGED_IN,
    "api:audit-proof-inclusion": {"compliance", "patient", "other_patient"},
    "api:audit-proof-consistency": {"compliance"},
    "portal:home": {"patient", "other_patient"},
    "portal:change": {"patient", "other_patient"},
    "portal:withdraw": {"patient", "other_patient"},
    "portal:history": {"patient", "other_patient"},
    "portal:text": {"patient", "other_patient"},
    "portal:data_download": {"patient", "other_patient"},
    "portal:staff_find": {"steward"},
    "api:subject-list": {"steward"},
    "api:consent-list": {"steward"},
    "steward:home": {"steward"},
    "steward:genomic_upload": {"steward"},
    "steward:genomic_files": {"steward"},
    "steward:key_status": {"steward"},
    "api:genomic-file-list": {"steward"},
    "research:home": {"researcher"},
    "dac:home": {"dac_member"},
    "compliance:home": {"compliance"},
    "compliance:events": {"compliance"},
    "compliance:events_csv": {"compliance"},
    "compliance:events_json": {"compliance"},
    "compliance:subjects": {"compliance"},
    "compliance:users": {"compliance"},
    "compliance:anomalies": {"compliance"},
    "compliance:verification": {"compliance"},
    "portal_access:list": {"patient", "other_patient"},
    "portal_access:how_to_verify": {"patient", "other_patient"},
    "research:key": {"researcher"},
    "research:request_new": {"researcher"},
    "research:grants": {"researcher"},
    "dac:grants": {"dac_member"},
    "api:access-key-active": {"researcher"},
    "api:access-request-list": {"researcher"},
    "api:access-request-queue": {"dac_member"},
    "api:access-grant-list": {"researcher", "dac_member"},
    "passport-visas": {"researcher"},
    "research:exports": {"researcher"},
    "api:export-list": {"researcher"},
}

# Sample values for URL kwargs, by kwarg name. These objects do not exist.
SAMPLE_KWARGS: dict[str, object] = {"pk": 999999, "id": 999999, "code": "HX-0000000000", "seq": 999999, "version": 999999, "file_id": "00000000-0000-4000-8000-000000000000", "name": "manifest.json"}

SKIP_PREFIXES = ("admin:", "static")


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _walk(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", entry


def _url_names():
    names = {}
    for name, pattern in _walk(get_resolver()):
        if name.startswith(SKIP_PREFIXES):
            continue
        params = list(pattern.pattern.regex.groupindex)
        names[name] = params
    return sorted(names.items())


def _reverse(name, params):
    try:
        return reverse(name, kwargs={p: SAMPLE_KWARGS[p] for p in params})
    except KeyError as exc:
        raise AssertionError(f"{name}: add a sample value for URL parameter {exc} to SAMPLE_KWARGS") from None


@pytest.mark.django_db
def test_no_url_answers_2xx_to_a_persona_it_is_not_meant_for(personas, client_for):
    failures = []
    for name, params in _url_names():
        url = _reverse(name, params)
        allowed = ALLOWED.get(name, set()) if not params else set()
        for persona, user in personas.all().items():
            response = client_for(user).get(url)
            if 200 <= response.status_code < 300 and persona not in allowed:
                failures.append(f"{name} {url} gave {response.status_code} to {persona}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_each_role_reaches_its_own_home_page(personas, client_for):
    for persona, home in [
        ("patient", "portal:home"),
        ("steward", "steward:home"),
        ("researcher", "research:home"),
        ("dac_member", "dac:home"),
        ("compliance", "compliance:home"),
    ]:
        response = client_for(personas.all()[persona]).get(reverse("home"))
        assert response.status_code == 302
        assert response.url == reverse(home)
        assert client_for(personas.all()[persona]).get(response.url).status_code == 200


@pytest.mark.django_db
def test_every_allowed_entry_names_a_real_url():
    names = {name for name, _ in _url_names()}
    assert set(ALLOWED) <= names
