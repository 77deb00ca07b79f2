"""HMAC signatures of message bodies: what verifies, what does not, and the headers that carry them."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from engine.transport.signing import SIGNATURE_HEADER, sign, signature_of, signed_headers, verify

KEY = "s3cret-key"
BODY = b'{"v": 1, "id": "p-1/n1", "attempt": 1}'


def test_a_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    expected = hmac.new(KEY.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(KEY, BODY) == expected
    assert len(expected) == 64


def test_a_signed_body_verifies() -> None:
    assert verify(KEY, BODY, sign(KEY, BODY))


def test_upper_case_or_padded_hex_verifies_too() -> None:
    assert verify(KEY, BODY, f" {sign(KEY, BODY).upper()}\n")


def test_a_tampered_body_does_not_verify() -> None:
    signature = sign(KEY, BODY)
    assert not verify(KEY, BODY.replace(b'"attempt": 1', b'"attempt": 2'), signature)
    assert not verify(KEY, BODY + b" ", signature)


def test_another_key_does_not_verify() -> None:
    assert not verify(KEY, BODY, sign("another-key", BODY))
    assert not verify("another-key", BODY, sign(KEY, BODY))


@pytest.mark.parametrize("signature", [None, "", "0" * 64, "not hex at all", "ünïcode"])
def test_a_missing_or_forged_signature_does_not_verify(signature: str | None) -> None:
    assert not verify(KEY, BODY, signature)


def test_signed_headers_add_the_signature_only_when_a_key_is_set() -> None:
    base = {"boss-type": "workitem"}
    assert signed_headers(KEY, BODY, base) == {"boss-type": "workitem", SIGNATURE_HEADER: sign(KEY, BODY)}
    assert signed_headers(None, BODY, base) == base
    assert signed_headers("", BODY) == {}
    assert base == {"boss-type": "workitem"}  # a copy: the caller's headers are left alone


def test_the_signature_is_read_from_headers_as_str_or_bytes() -> None:
    signature = sign(KEY, BODY)
    assert signature_of({SIGNATURE_HEADER: signature}) == signature
    assert signature_of({SIGNATURE_HEADER: signature.encode()}) == signature
    assert signature_of({"other": "x"}) is None
    assert signature_of({SIGNATURE_HEADER: 42}) is None
    assert signature_of(None) is None
