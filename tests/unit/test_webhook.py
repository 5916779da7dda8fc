"""The webhook signature, its replay window, the retry schedule and the URL rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tahator.domain.webhook import (
    MAX_ATTEMPTS,
    address_problem,
    masked_url,
    next_attempt,
    sign,
    url_problem,
    verify,
)

SECRET = "0f" * 32
BODY = '{"id":"e1","type":"run.completed"}'


def test_a_signature_verifies_within_the_window_only() -> None:
    header = sign(SECRET, 1_700_000_000, BODY)
    assert header.startswith("t=1700000000,v1=")
    assert verify(SECRET, header, BODY, 1_700_000_000)
    assert verify(SECRET, header, BODY, 1_700_000_300)
    assert not verify(SECRET, header, BODY, 1_700_000_301)
    assert not verify(SECRET, header, BODY, 1_699_999_699)
    assert not verify("other", header, BODY, 1_700_000_000)
    assert not verify(SECRET, header, BODY.replace("e1", "e2"), 1_700_000_000)
    # The timestamp is signed: changing it breaks the signature.
    assert not verify(SECRET, header.replace("t=1700000000", "t=1700000100"), BODY, 1_700_000_100)
    for broken in ("", "v1=abc", "t=x,v1=abc", "t=1700000000"):
        assert not verify(SECRET, broken, BODY, 1_700_000_000)


def test_retries_double_up_to_six_hours_then_stop() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    waits = [next_attempt(n, at) for n in range(1, MAX_ATTEMPTS + 1)]
    assert [w - at for w in waits[:-1] if w] == [
        timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 64)
    ]
    assert waits[-1] is None
    assert next_attempt(30, at) is None


@pytest.mark.parametrize(
    ("url", "private", "wrong"),
    [
        ("https://hooks.example.org/tahator", False, False),
        ("http://hooks.example.org/", False, True),
        ("http://127.0.0.1:8080/", True, False),
        ("https://127.0.0.1/", False, True),
        ("https://[::ffff:10.0.0.1]/", False, True),
        ("https://169.254.169.254/", False, True),
        ("https://u:p@example.org/", True, True),
        ("file:///etc/passwd", True, True),
        ("https://example.org:99999/", True, True),
        ("https://example.org/#x", True, True),
        ("https://exa mple.org/", True, True),
        ("https://example.org/" + "x" * 2000, True, True),
    ],
)
def test_url_rules(url: str, private: bool, wrong: bool) -> None:
    assert (url_problem(url, private) is not None) is wrong


def test_addresses_off_the_public_internet_are_refused() -> None:
    for address in ("127.0.0.1", "10.0.0.1", "192.168.1.1", "::1", "fe80::1", "0.0.0.0"):
        assert address_problem(address, False) is not None
        assert address_problem(address, True) is None
    assert address_problem("93.184.216.34", False) is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://h.example/hook", "https://h.example/hook"),
        ("https://h.example/hook?token=s3cret", "https://h.example/hook?token=***"),
        ("https://h.example:8443/p?a=1&b&=x", "https://h.example:8443/p?a=***&b=***&***"),
    ],
)
def test_a_urls_query_values_are_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown
