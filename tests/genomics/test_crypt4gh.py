"""Crypt4GH files: interoperability with the reference package, ranges, re-encryption, tampering."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import struct

import pytest
from crypt4gh import header as ref_header
from crypt4gh import keys as ref_keys
from crypt4gh import lib as ref_lib
from crypt4gh.keys import c4gh as ref_c4gh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genomics import crypt4gh
from genomics.crypt4gh import CIPHER_SEGMENT_SIZE, SEGMENT_SIZE, Crypt4GHError

SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 1234]
PLAINTEXT = os.urandom(4 * SEGMENT_SIZE + 4321)  # shared by the range-read properties
OWNER_PRIV, OWNER_PUB = crypt4gh.generate_keypair()
FAST = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def encrypt(data: bytes, recipients: list[bytes], **kwargs) -> bytes:
    out = io.BytesIO()
    crypt4gh.encrypt(io.BytesIO(data), out, recipients=recipients, **kwargs)
    return out.getvalue()


def decrypt(blob: bytes, private_key: bytes, **kwargs) -> bytes:
    out = io.BytesIO()
    crypt4gh.decrypt(io.BytesIO(blob), out, private_key=private_key, **kwargs)
    return out.getvalue()


def ref_encrypt(data: bytes, writer_priv: bytes, recipient_pub: bytes, **kwargs) -> bytes:
    out = io.BytesIO()
    ref_lib.encrypt([(0, writer_priv, recipient_pub)], io.BytesIO(data), out, **kwargs)
    return out.getvalue()


def ref_decrypt(blob: bytes, private_key: bytes) -> bytes:
    out = io.BytesIO()
    ref_lib.decrypt([(0, private_key, None)], io.BytesIO(blob), out)
    return out.getvalue()


def read_range(blob: bytes, offset: int, length: int | None) -> bytes:
    stream = io.BytesIO(blob)
    return b"".join(
        crypt4gh.iter_plaintext(stream, private_key=OWNER_PRIV, offset=offset, length=length)
    )


def with_edit_list(blob: bytes, edits: list[int]) -> bytes:
    """Rewrite a file's header with an edit list, using the reference header functions."""
    stream = io.BytesIO(blob)
    keys = [(0, OWNER_PRIV, OWNER_PUB)]
    session_keys, _ = ref_header.deconstruct(stream, keys)
    packets = list(ref_header.encrypt(ref_header.make_packet_data_enc(0, session_keys[0]), keys))
    packets += ref_header.encrypt(ref_header.make_packet_data_edit_list(edits), keys)
    return ref_header.serialize(packets) + stream.read()


def apply_edits(data: bytes, edits: list[int]) -> bytes:
    kept, position = [], 0
    for index, size in enumerate(edits):
        if index % 2:
            kept.append(data[position : position + size])
        position += size
    if len(edits) % 2:
        kept.append(data[position:])
    return b"".join(kept)


def segments(blob: bytes) -> tuple[bytes, list[bytes]]:
    header_len = crypt4gh.read_header(io.BytesIO(blob)).length
    body = blob[header_len:]
    return blob[:header_len], [
        body[i : i + CIPHER_SEGMENT_SIZE] for i in range(0, len(body), CIPHER_SEGMENT_SIZE)
    ]


class CountingStream(io.BytesIO):
    """Counts the bytes a reader pulls, to show range reads skip what they do not need."""

    pulled = 0

    def read(self, size=-1):
        data = super().read(size)
        self.pulled += len(data)
        return data

    def readinto(self, buffer):
        n = super().readinto(buffer)
        self.pulled += n
        return n


class Pipe(io.RawIOBase):
    """A non-seekable stream that hands out at most 1000 bytes per read, like a socket."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.fixture(scope="module")
def owner_file() -> bytes:
    return encrypt(PLAINTEXT, [OWNER_PUB])


@pytest.fixture(scope="module")
def owner_file_on_disk(owner_file, tmp_path_factory):
    path = tmp_path_factory.mktemp("c4gh") / "owner.c4gh"
    path.write_bytes(owner_file)
    return path


# --- interoperability -------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_reference_decrypts_our_files_byte_for_byte(size):
    data = os.urandom(size)
    blob = encrypt(data, [OWNER_PUB])
    assert ref_decrypt(blob, OWNER_PRIV) == data
    assert decrypt(blob, OWNER_PRIV) == data


@pytest.mark.parametrize("size", SIZES)
def test_we_decrypt_reference_files_byte_for_byte(size):
    data = os.urandom(size)
    writer_priv, _ = crypt4gh.generate_keypair()
    blob = ref_encrypt(data, writer_priv, OWNER_PUB)
    assert decrypt(blob, OWNER_PRIV) == data
    assert len(blob) == len(encrypt(data, [OWNER_PUB]))  # same layout, byte for byte in size


def test_encrypt_reports_header_length_size_and_plaintext_digest():
    data = os.urandom(2 * SEGMENT_SIZE + 5)
    out = io.BytesIO()
    result = crypt4gh.encrypt(io.BytesIO(data), out, recipients=[OWNER_PUB])
    assert result.plaintext_size == len(data)
    assert result.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert result.header_len == crypt4gh.read_header(io.BytesIO(out.getvalue())).length
    assert len(out.getvalue()) == result.header_len + len(data) + 3 * 28


def test_encrypt_without_the_digest_writes_a_file_that_decrypts_the_same():
    data = os.urandom(3 * SEGMENT_SIZE + 17)
    out = io.BytesIO()
    result = crypt4gh.encrypt(io.BytesIO(data), out, recipients=[OWNER_PUB], digest=False)
    assert (result.plaintext_size, result.plaintext_sha256) == (len(data), "")
    assert decrypt(out.getvalue(), OWNER_PRIV) == data


class _FailingReader(io.RawIOBase):
    """Gives one segment and a half, then fails: an upload or work file that breaks."""

    def __init__(self):
        self._left = SEGMENT_SIZE + SEGMENT_SIZE // 2

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._left <= 0:
            raise OSError("read failed")
        size = min(len(buffer), self._left)
        memoryview(buffer)[:size] = b"\xaa" * size
        self._left -= size
        return size


def test_working_buffers_reused_across_encryptions_carry_nothing_over():
    # The buffers are kept per thread: a large file, a failed one, then a small one.
    big = os.urandom(5 * SEGMENT_SIZE)
    assert decrypt(encrypt(big, [OWNER_PUB]), OWNER_PRIV) == big
    with pytest.raises(OSError, match="read failed"):
        crypt4gh.encrypt(_FailingReader(), io.BytesIO(), recipients=[OWNER_PUB])
    small = b"#CHROM\tPOS\n1\t100\n"
    blob = encrypt(small, [OWNER_PUB])
    assert decrypt(blob, OWNER_PRIV) == small
    assert len(blob) == crypt4gh.read_header(io.BytesIO(blob)).length + len(small) + 28


def test_files_on_disk_encrypt_through_memory_maps_from_any_position(tmp_path, monkeypatch):
    monkeypatch.setattr(crypt4gh, "_MAP_WINDOW", 4 * SEGMENT_SIZE)  # several windows, small file
    data = os.urandom(9 * SEGMENT_SIZE + 99)
    source, target = tmp_path / "plain", tmp_path / "plain.c4gh"
    source.write_bytes(b"skip" + data)
    with open(source, "rb") as fin, open(target, "wb") as fout:
        fin.read(4)
        result = crypt4gh.encrypt(fin, fout, recipients=[OWNER_PUB])
        assert fin.read() == b""
    assert result.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    assert ref_decrypt(target.read_bytes(), OWNER_PRIV) == data
    with open(target, "rb") as fin:
        out = io.BytesIO()
        crypt4gh.decrypt(fin, out, private_key=OWNER_PRIV, expected_sha256=result.plaintext_sha256)
    assert out.getvalue() == data


def test_streams_that_cannot_seek_encrypt_and_decrypt():
    data = os.urandom(3 * SEGMENT_SIZE + 17)
    out = io.BytesIO()
    result = crypt4gh.encrypt(Pipe(data), out, recipients=[OWNER_PUB])
    assert result.plaintext_sha256 == hashlib.sha256(data).hexdigest()
    plain = io.BytesIO()
    crypt4gh.decrypt(Pipe(out.getvalue()), plain, private_key=OWNER_PRIV)
    assert plain.getvalue() == data


def test_every_recipient_decrypts_a_multi_recipient_file():
    pairs = [crypt4gh.generate_keypair() for _ in range(3)]
    data = os.urandom(SEGMENT_SIZE + 10)
    blob = encrypt(data, [pub for _, pub in pairs])
    assert len(crypt4gh.read_header(io.BytesIO(blob)).packets) == 3
    for priv, _ in pairs:
        assert decrypt(blob, priv) == data
        assert ref_decrypt(blob, priv) == data


def test_a_key_that_is_not_a_recipient_cannot_decrypt():
    outsider, _ = crypt4gh.generate_keypair()
    blob = encrypt(b"genotypes", [OWNER_PUB])
    with pytest.raises(Crypt4GHError, match="No header packet opens"):
        decrypt(blob, outsider)
    with pytest.raises(Crypt4GHError, match="No header packet opens"):
        crypt4gh.iter_plaintext(io.BytesIO(blob), private_key=outsider)
    with pytest.raises(ValueError):
        ref_decrypt(blob, outsider)


def test_a_given_writer_key_signs_the_header_and_an_absent_one_is_ephemeral():
    writer_priv, writer_pub = crypt4gh.generate_keypair()
    blob = encrypt(b"x" * 100, [OWNER_PUB], writer_private=writer_priv)
    out = io.BytesIO()
    ref_lib.decrypt([(0, OWNER_PRIV, None)], io.BytesIO(blob), out, sender_pubkey=writer_pub)
    assert out.getvalue() == b"x" * 100
    first, second = (crypt4gh.read_header(io.BytesIO(encrypt(b"", [OWNER_PUB]))) for _ in "ab")
    assert first.packets[0][4:36] != second.packets[0][4:36]


def test_undecryptable_header_packets_are_ignored():
    _, other_pub = crypt4gh.generate_keypair()
    blob = encrypt(PLAINTEXT, [other_pub, OWNER_PUB])
    header = crypt4gh.read_header(io.BytesIO(blob))
    junk = (b"\0\0\0\0" + os.urandom(100), b"\1\0\0\0" + os.urandom(100))
    padded = crypt4gh.Header(packets=junk + header.packets).to_bytes() + blob[header.length :]
    assert decrypt(padded, OWNER_PRIV) == PLAINTEXT


def test_header_round_trips_through_parse_and_serialise(owner_file):
    header = crypt4gh.read_header(io.BytesIO(owner_file))
    assert header.to_bytes() == owner_file[: header.length]
    assert list(header.packets) == list(ref_header.parse(io.BytesIO(owner_file)))


# --- header re-encryption ---------------------------------------------------------------


def test_reencrypted_header_opens_with_the_new_key_and_leaves_the_body_unchanged(owner_file):
    new_priv, new_pub = crypt4gh.generate_keypair()
    header_len = crypt4gh.read_header(io.BytesIO(owner_file)).length
    new_header = crypt4gh.reencrypt_header(
        owner_file[:header_len], private_key=OWNER_PRIV, recipients=[new_pub]
    )
    blob = new_header + owner_file[header_len:]
    assert decrypt(blob, new_priv) == PLAINTEXT
    assert ref_decrypt(blob, new_priv) == PLAINTEXT
    with pytest.raises(Crypt4GHError):
        decrypt(blob, OWNER_PRIV)

    out = io.BytesIO()
    written = crypt4gh.reencrypt_file(
        io.BytesIO(owner_file), out, private_key=OWNER_PRIV, recipients=[new_pub]
    )
    assert out.getvalue()[written:] == owner_file[header_len:]
    assert ref_decrypt(out.getvalue(), new_priv) == PLAINTEXT


def test_reencryption_keeps_the_edit_list_and_drops_packets_for_others(owner_file):
    _, other_pub = crypt4gh.generate_keypair()
    new_priv, new_pub = crypt4gh.generate_keypair()
    edits = [10, 500, 70000, 20]
    blob = with_edit_list(owner_file, edits)
    header = crypt4gh.read_header(io.BytesIO(blob))
    new_header = crypt4gh.reencrypt_header(
        header.to_bytes(), private_key=OWNER_PRIV, recipients=[new_pub, other_pub]
    )
    assert len(crypt4gh.read_header(io.BytesIO(new_header)).packets) == 4  # 2 payloads x 2
    assert decrypt(new_header + blob[header.length :], new_priv) == apply_edits(PLAINTEXT, edits)


def test_files_reencrypted_by_the_reference_decrypt_with_ours(owner_file):
    new_priv, new_pub = crypt4gh.generate_keypair()
    out = io.BytesIO()
    ref_lib.reencrypt(
        [(0, OWNER_PRIV, None)], [(0, OWNER_PRIV, new_pub)], io.BytesIO(owner_file), out
    )
    assert decrypt(out.getvalue(), new_priv) == PLAINTEXT


def test_reencryption_needs_a_key_that_opens_the_header(owner_file):
    outsider, outsider_pub = crypt4gh.generate_keypair()
    header = crypt4gh.read_header(io.BytesIO(owner_file)).to_bytes()
    with pytest.raises(Crypt4GHError, match="No header packet opens"):
        crypt4gh.reencrypt_header(header, private_key=outsider, recipients=[outsider_pub])
    with pytest.raises(Crypt4GHError, match="after the Crypt4GH header"):
        crypt4gh.reencrypt_header(header + b"x", private_key=OWNER_PRIV, recipients=[OWNER_PUB])


# --- range reads and edit lists ---------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        (0, SEGMENT_SIZE),
        (SEGMENT_SIZE - 1, 2),
        (SEGMENT_SIZE, SEGMENT_SIZE),
        (2 * SEGMENT_SIZE - 1, 1),
        (3 * SEGMENT_SIZE, None),
        (4 * SEGMENT_SIZE + 4320, 10),
        (len(PLAINTEXT), 5),
        (len(PLAINTEXT) + 100, None),
        (5, 0),
    ],
)
def test_range_reads_at_segment_boundaries_match_slicing(owner_file, offset, length):
    end = None if length is None else offset + length
    assert read_range(owner_file, offset, length) == PLAINTEXT[offset:end]


@FAST
@given(
    offset=st.integers(0, len(PLAINTEXT) + 10),
    length=st.none() | st.integers(0, len(PLAINTEXT)),
    on_disk=st.booleans(),
)
def test_range_reads_match_slicing_the_plaintext(owner_file_on_disk, offset, length, on_disk):
    end = None if length is None else offset + length
    if on_disk:
        with open(owner_file_on_disk, "rb") as stream:
            got = b"".join(
                crypt4gh.iter_plaintext(
                    stream, private_key=OWNER_PRIV, offset=offset, length=length
                )
            )
    else:
        got = read_range(owner_file_on_disk.read_bytes(), offset, length)
    assert got == PLAINTEXT[offset:end]


def test_range_reads_seek_to_the_segments_they_need(owner_file):
    stream = CountingStream(owner_file)
    chunks = crypt4gh.iter_plaintext(
        stream, private_key=OWNER_PRIV, offset=3 * SEGMENT_SIZE + 7, length=100
    )
    assert b"".join(chunks) == PLAINTEXT[3 * SEGMENT_SIZE + 7 : 3 * SEGMENT_SIZE + 107]
    assert (
        stream.pulled == crypt4gh.read_header(io.BytesIO(owner_file)).length + CIPHER_SEGMENT_SIZE
    )


@pytest.mark.parametrize(("offset", "span"), [(0, 10), (70000, 200000), (SEGMENT_SIZE, None)])
def test_reference_rearranged_files_decrypt_to_the_kept_bytes(owner_file, offset, span):
    out = io.BytesIO()
    keys = [(0, OWNER_PRIV, OWNER_PUB)]
    ref_lib.rearrange(keys, io.BytesIO(owner_file), out, offset=offset, span=span)
    expected = PLAINTEXT[offset : None if span is None else offset + span]
    assert decrypt(out.getvalue(), OWNER_PRIV) == expected
    assert ref_decrypt(out.getvalue(), OWNER_PRIV) == expected


@pytest.mark.parametrize(("offset", "span"), [(0, 1), (SEGMENT_SIZE - 3, 7), (100000, None)])
def test_reference_slices_made_with_offset_and_span_decrypt(offset, span):
    writer_priv, _ = crypt4gh.generate_keypair()
    blob = ref_encrypt(PLAINTEXT, writer_priv, OWNER_PUB, offset=offset, span=span)
    assert decrypt(blob, OWNER_PRIV) == PLAINTEXT[offset : None if span is None else offset + span]


@pytest.mark.parametrize(
    "edits",
    [[5], [0, 100], [10, 20, 30, 40], [10, 20, 30], [100, 3 * SEGMENT_SIZE, 1, 5], [70000, 1, 2]],
)
def test_edit_lists_are_honoured_like_the_reference(owner_file, edits):
    blob = with_edit_list(owner_file, edits)
    expected = apply_edits(PLAINTEXT, edits)
    assert ref_decrypt(blob, OWNER_PRIV) == expected
    assert decrypt(blob, OWNER_PRIV) == expected
    plain = io.BytesIO()
    crypt4gh.decrypt(Pipe(blob), plain, private_key=OWNER_PRIV)
    assert plain.getvalue() == expected


@FAST
@given(offset=st.integers(0, 150000), length=st.none() | st.integers(0, 150000))
def test_range_reads_count_offsets_in_the_edited_plaintext(owner_file, offset, length):
    edits = [3, 70000, 60000, 1, 1, 20]
    logical = apply_edits(PLAINTEXT, edits)
    blob = with_edit_list(owner_file, edits)
    assert (
        read_range(blob, offset, length)
        == logical[offset : None if length is None else offset + length]
    )


def test_a_second_edit_list_is_rejected(owner_file):
    keys = [(0, OWNER_PRIV, OWNER_PUB)]
    stream = io.BytesIO(with_edit_list(owner_file, [1, 2]))
    packets = list(ref_header.parse(stream))
    packets += ref_header.encrypt(ref_header.make_packet_data_edit_list([3, 4]), keys)
    with pytest.raises(Crypt4GHError, match="more than one edit list"):
        decrypt(ref_header.serialize(packets) + stream.read(), OWNER_PRIV)


def test_an_edit_list_naming_bytes_past_the_end_keeps_what_there_is_like_the_reference(
    owner_file,
):
    blob = with_edit_list(owner_file, [10, len(PLAINTEXT), 5, 5])
    assert decrypt(blob, OWNER_PRIV) == ref_decrypt(blob, OWNER_PRIV) == PLAINTEXT[10:]


# --- rejection --------------------------------------------------------------------------


def test_bad_magic_and_unknown_versions_are_rejected(owner_file):
    with pytest.raises(Crypt4GHError, match="bad magic"):
        decrypt(b"crypt5gh" + owner_file[8:], OWNER_PRIV)
    with pytest.raises(Crypt4GHError, match="version 2"):
        decrypt(owner_file[:8] + struct.pack("<I", 2) + owner_file[12:], OWNER_PRIV)
    with pytest.raises(Crypt4GHError, match="packet count"):
        decrypt(owner_file[:12] + struct.pack("<I", 0) + owner_file[16:], OWNER_PRIV)


def test_a_tampered_header_is_rejected(owner_file):
    tampered = bytearray(owner_file)
    tampered[16 + 8 + 32 + 12 + 3] ^= 1  # inside the encrypted data key
    with pytest.raises(Crypt4GHError, match="wrong key or tampered header"):
        decrypt(bytes(tampered), OWNER_PRIV)
    with pytest.raises(Crypt4GHError, match="Invalid length"):
        decrypt(owner_file[:16] + struct.pack("<I", 3) + owner_file[20:], OWNER_PRIV)


def test_a_tampered_body_segment_is_rejected(owner_file):
    header, body = segments(owner_file)
    tampered = bytearray(body[1])
    tampered[500] ^= 0x80
    blob = header + body[0] + bytes(tampered) + b"".join(body[2:])
    with pytest.raises(Crypt4GHError, match="Segment 1 failed authentication"):
        decrypt(blob, OWNER_PRIV)
    with pytest.raises(Crypt4GHError, match="Segment 1"):
        read_range(blob, SEGMENT_SIZE + 10, 10)


def test_truncated_files_are_rejected(owner_file):
    with pytest.raises(Crypt4GHError, match="truncated inside the header"):
        decrypt(owner_file[:60], OWNER_PRIV)
    with pytest.raises(Crypt4GHError, match="Segment 4 failed authentication"):
        decrypt(owner_file[:-5], OWNER_PRIV)
    header, body = segments(owner_file)
    with pytest.raises(Crypt4GHError, match="Segment 1 is too short"):
        decrypt(header + body[0] + body[1][:20], OWNER_PRIV)


def test_a_body_cut_at_a_segment_boundary_is_caught_by_the_recorded_digest(owner_file):
    header, body = segments(owner_file)
    cut = header + b"".join(body[:-1])
    digest = hashlib.sha256(PLAINTEXT).hexdigest()
    assert decrypt(owner_file, OWNER_PRIV, expected_sha256=digest) == PLAINTEXT
    with pytest.raises(Crypt4GHError, match="digest mismatch"):
        decrypt(cut, OWNER_PRIV, expected_sha256=digest)


def test_reordered_segments_are_rejected(owner_file):
    header, body = segments(owner_file)
    short_moved = header + body[-1] + b"".join(body[:-1])
    with pytest.raises(Crypt4GHError, match="failed authentication"):
        decrypt(short_moved, OWNER_PRIV)
    swapped = header + body[1] + body[0] + b"".join(body[2:])
    with pytest.raises(Crypt4GHError, match="digest mismatch"):
        decrypt(swapped, OWNER_PRIV, expected_sha256=hashlib.sha256(PLAINTEXT).hexdigest())


@pytest.mark.parametrize("garbage", [b"\0", os.urandom(28), os.urandom(CIPHER_SEGMENT_SIZE)])
def test_trailing_garbage_is_rejected(garbage):
    blob = encrypt(os.urandom(2 * SEGMENT_SIZE), [OWNER_PUB])
    with pytest.raises(Crypt4GHError, match="Segment 2"):
        decrypt(blob + garbage, OWNER_PRIV)


def test_errors_and_logs_never_carry_key_material(owner_file, caplog):
    caplog.set_level(logging.DEBUG)
    outsider, _ = crypt4gh.generate_keypair()
    messages = []
    for blob, key in [(owner_file, outsider), (owner_file[:-1], OWNER_PRIV)]:
        with pytest.raises(Crypt4GHError) as error:
            decrypt(blob, key)
        messages.append(str(error.value))
    with pytest.raises(Crypt4GHError) as error:
        crypt4gh.load_private_key_file(
            crypt4gh.private_key_file_bytes(OWNER_PRIV, passphrase="right"), passphrase="wrong"
        )
    messages.append(str(error.value))
    secrets = [k.hex() for k in (OWNER_PRIV, outsider)]
    secrets += [base64.b64encode(k).decode() for k in (OWNER_PRIV, outsider)]
    assert not any(secret in message for secret in secrets for message in messages)
    assert not [r for r in caplog.records if r.name.startswith("genomics")]


def test_recipients_must_be_usable_public_keys():
    with pytest.raises(Crypt4GHError, match="at least one recipient"):
        encrypt(b"x", [])
    with pytest.raises(Crypt4GHError, match="low-order"):
        encrypt(b"x", [bytes(32)])
    with pytest.raises(Crypt4GHError, match="32 raw bytes"):
        decrypt(encrypt(b"x", [OWNER_PUB]), OWNER_PRIV[:31])


# --- key files --------------------------------------------------------------------------


def test_public_key_files_round_trip_with_the_reference(tmp_path):
    path = tmp_path / "ours.pub"
    path.write_text(crypt4gh.public_key_pem(OWNER_PUB))
    assert ref_keys.get_public_key(str(path)) == OWNER_PUB
    ref_c4gh.generate(str(tmp_path / "ref.sec"), str(tmp_path / "ref.pub"), None, None)
    reference_pub = (tmp_path / "ref.pub").read_bytes()
    assert crypt4gh.load_public_key(reference_pub) == ref_keys.get_public_key(
        str(tmp_path / "ref.pub")
    )


@pytest.mark.parametrize("passphrase", [None, "correct horse"])
def test_private_key_files_round_trip_with_the_reference(tmp_path, passphrase):
    path = tmp_path / "ours.sec"
    path.write_bytes(
        crypt4gh.private_key_file_bytes(OWNER_PRIV, passphrase=passphrase, comment="steward")
    )
    assert ref_keys.get_private_key(str(path), lambda: passphrase) == OWNER_PRIV
    assert crypt4gh.load_private_key_file(path.read_bytes(), passphrase=passphrase) == OWNER_PRIV

    secret = passphrase.encode() if passphrase else None
    ref_c4gh.generate(str(tmp_path / "ref.sec"), str(tmp_path / "ref.pub"), secret, b"dac")
    priv = crypt4gh.load_private_key_file((tmp_path / "ref.sec").read_text(), passphrase=passphrase)
    pub = crypt4gh.load_public_key((tmp_path / "ref.pub").read_text())
    assert crypt4gh.derive_public_key(priv) == pub
    assert priv == ref_keys.get_private_key(str(tmp_path / "ref.sec"), lambda: passphrase)


def test_protected_private_keys_need_the_right_passphrase():
    data = crypt4gh.private_key_file_bytes(OWNER_PRIV, passphrase="right")
    with pytest.raises(Crypt4GHError, match="passphrase is required"):
        crypt4gh.load_private_key_file(data)
    with pytest.raises(Crypt4GHError, match="Wrong passphrase"):
        crypt4gh.load_private_key_file(data, passphrase="wrong")
    with pytest.raises(Crypt4GHError, match="empty passphrase"):
        crypt4gh.private_key_file_bytes(OWNER_PRIV, passphrase="")


def test_a_bare_base64_public_key_is_accepted_and_malformed_keys_are_not():
    bare = base64.b64encode(OWNER_PUB).decode()
    assert crypt4gh.load_public_key(f"  {bare}\n") == OWNER_PUB
    assert crypt4gh.load_public_key(bare.encode()) == OWNER_PUB
    bad_inputs = [
        base64.b64encode(OWNER_PUB[:31]).decode(),
        "not base64 !",
        crypt4gh.public_key_pem(OWNER_PUB).replace("PUBLIC", "PRIVATE"),
        "",
        "é",
    ]
    for bad in bad_inputs:
        with pytest.raises(Crypt4GHError):
            crypt4gh.load_public_key(bad)
