"""The key hierarchy: wrapping, versions, field encryption, blind indexes, signatures."""

import base64
import json
import os

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured

from governance import keys


@pytest.mark.django_db
def test_wrapped_key_opens_only_with_its_own_context():
    wrapped = keys.wrap_key(b"k" * 32, context="subject-key:HX-A:v1")
    assert keys.unwrap_key(wrapped, context="subject-key:HX-A:v1") == b"k" * 32
    with pytest.raises(keys.KeyUnavailable):
        keys.unwrap_key(wrapped, context="subject-key:HX-B:v1")


@pytest.mark.django_db
def test_tampered_wrapped_key_fails_with_the_same_opaque_error():
    wrapped = bytearray(keys.wrap_key(b"k" * 32, context="c"))
    wrapped[-1] ^= 1
    with pytest.raises(keys.KeyUnavailable) as excinfo:
        keys.unwrap_key(bytes(wrapped), context="c")
    assert str(excinfo.value) == "Key material could not be opened."


@pytest.mark.django_db
def test_new_master_version_wraps_new_keys_and_old_ones_still_open_until_rewrapped():
    old = keys.wrap_key(b"a" * 32, context="c")
    assert keys.wrapped_version(old) == 1
    assert keys.master_key_add_version() == 2
    new = keys.rewrap_key(old, context="c")
    assert keys.wrapped_version(new) == 2
    assert keys.unwrap_key(old, context="c") == keys.unwrap_key(new, context="c") == b"a" * 32
    keys.master_key_retire(1)
    with pytest.raises(keys.KeyUnavailable):
        keys.unwrap_key(old, context="c")
    assert keys.unwrap_key(new, context="c") == b"a" * 32


@pytest.mark.django_db
def test_data_keys_follow_master_rotation():
    keys.data_key("field-encryption")
    keys.master_key_add_version()
    assert keys.key_material_rewrap_all() == 1
    assert keys.key_material_versions() == {2}
    keys.clear_caches()
    blob = keys.encrypt_field("Jane", context="subject:HX-A:name")
    assert keys.decrypt_field(blob, context="subject:HX-A:name") == "Jane"


def test_operator_master_keys_are_parsed_by_version():
    a, b = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    provider = keys.StaticKeyProvider(f"1:{a}, 3:{b}")
    assert provider.versions() == [1, 3]
    assert provider.current_version() == 3


@pytest.mark.parametrize("spec", ["not base64!", base64.b64encode(b"short").decode(), "x:" + "A" * 44])
def test_malformed_operator_master_key_names_the_variable(spec):
    with pytest.raises(ImproperlyConfigured, match="HELIX_MASTER_KEY"):
        keys.StaticKeyProvider(spec)


@pytest.mark.django_db
def test_development_master_key_file_is_private(settings):
    keys.wrap_key(b"x" * 32, context="c")
    mode = settings.HELIX_DEV_MASTER_KEY_FILE.stat().st_mode & 0o777
    assert mode == 0o600


@pytest.mark.django_db
def test_encrypted_field_is_bound_to_its_row_and_field():
    blob = keys.encrypt_field("jane@example.org", context="subject:HX-A:email")
    assert b"jane" not in blob
    with pytest.raises(keys.KeyUnavailable):
        keys.decrypt_field(blob, context="subject:HX-B:email")


@pytest.mark.django_db
def test_blind_index_is_keyed_normalised_and_field_separated():
    assert keys.blind_index(" Jane@Example.org ", field="email") == keys.blind_index("jane@example.org", field="email")
    assert keys.blind_index("123", field="email") != keys.blind_index("123", field="mrn")
    assert len(keys.blind_index("x", field="mrn")) == 64


@pytest.mark.django_db
def test_keyed_digests_differ_per_domain():
    assert keys.keyed_digest("HX-A", domain="project:1") != keys.keyed_digest("HX-A", domain="project:2")
    assert keys.keyed_digest("HX-A", domain="project:1") == keys.keyed_digest("HX-A", domain="project:1")


@pytest.mark.django_db
def test_platform_jwts_verify_with_a_plain_jwt_library_against_the_published_jwks(client):
    jwks = client.get("/.well-known/jwks.json").json()
    for alg in ("EdDSA", "ES256"):
        token = keys.sign_jwt({"sub": "x"}, alg=alg, typ="test+jwt")
        kid = jwt.get_unverified_header(token)["kid"]
        jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
        claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=[alg])
        assert claims == {"sub": "x"}


@pytest.mark.django_db
def test_tampered_jwt_is_refused():
    token = keys.sign_jwt({"sub": "x"})
    header, payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"sub": "y"}).encode()).rstrip(b"=").decode()
    with pytest.raises(keys.SignatureInvalid):
        keys.verify_jwt(f"{header}.{forged}.{signature}")


@pytest.mark.django_db
def test_signature_verification_raises_on_a_changed_payload():
    signature = keys.sign(b"checkpoint")
    keys.verify_signature(b"checkpoint", signature)
    with pytest.raises(keys.SignatureInvalid):
        keys.verify_signature(b"checkpoinT", signature)
