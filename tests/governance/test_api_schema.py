"""The OpenAPI schema generates without warnings and validates."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/duo/match" in text and "/api/v1/exports" in text


@pytest.mark.django_db
def test_operation_ids_are_unique(client, personas):
    client.force_login(personas.steward)
    schema = client.get("/api/schema/?format=json").json()
    ids = [op["operationId"] for path in schema["paths"].values() for op in path.values() if "operationId" in op]
    assert len(ids) == len(set(ids))
