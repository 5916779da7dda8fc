"""`tahator serve --proxy-headers --forwarded-allow-ips`: behind a TLS proxy the cookies
are ``Secure``; ``X-Forwarded-Proto`` counts only from the proxies named."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Cli
from tests.e2e.conftest import serving
from tests.e2e.test_serve_cli import create_user, db  # noqa: F401

HTTPS = {"X-Forwarded-Proto": "https"}


def login_cookie(base: str, headers: dict[str, str]) -> str:
    response = httpx.get(f"{base}/login", headers=headers)
    assert response.status_code == 200
    return response.headers["set-cookie"]


def test_behind_a_trusted_tls_proxy_the_session_cookie_is_secure(db: str) -> None:  # noqa: F811
    assert create_user(db, "op", "--role", "operator", "--password-stdin").returncode == 0
    with serving(db, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1") as base:
        assert "secure" in login_cookie(base, HTTPS).lower()
        assert "secure" not in login_cookie(base, {}).lower()  # plain http: the proxy says so
        form = httpx.get(f"{base}/login", headers=HTTPS)
        csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        # A Secure cookie travels only over https: the proxy's side, sent here by hand.
        key = form.headers["set-cookie"].split(";")[0]
        signed_in = httpx.post(
            f"{base}/login",
            data={"username": "op", "password": "correct horse battery", "csrf_token": csrf},
            headers=HTTPS | {"Cookie": key, "Origin": "https" + base.removeprefix("http")},
        )
        assert signed_in.status_code == 303, signed_in.text
        session = signed_in.headers["set-cookie"]
        assert session.startswith("tahator_session=")
        assert "secure" in session.lower()


def test_forwarded_headers_from_others_are_ignored(db: str) -> None:  # noqa: F811
    with serving(db, "--proxy-headers", "--forwarded-allow-ips", "10.9.9.9") as base:
        assert "secure" not in login_cookie(base, HTTPS).lower()
    with serving(db) as base:  # no --proxy-headers: never trusted
        assert "secure" not in login_cookie(base, HTTPS).lower()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--forwarded-allow-ips", "127.0.0.1"], "only with --proxy-headers"),
        (["--proxy-headers", "--forwarded-allow-ips", "10.0.0.0/8,proxy.local"], "'proxy.local'"),
    ],
)
def test_bad_proxy_options_exit_2_naming_the_option(
    db: str,  # noqa: F811
    cli: Cli,
    options: list[str],
    message: str,
) -> None:
    code, _, err = cli("--db", db, "serve", "--port", "1", *options)
    assert code == 2
    assert "--forwarded-allow-ips" in err
    assert message in err


def test_serve_warns_once_of_forwarded_headers_it_ignores(db: str) -> None:  # noqa: F811
    forwarded = {"X-Forwarded-For": "198.51.100.7"}
    err: list[str] = []
    with serving(db, stderr=err) as base:
        for _ in range(3):
            assert httpx.get(f"{base}/login", headers=forwarded).status_code == 200
    assert err[0].count("X-Forwarded-For but serve ignores it") == 1
    assert "--proxy-headers" in err[0]
    trusted: list[str] = []
    with serving(db, "--proxy-headers", stderr=trusted) as base:
        assert httpx.get(f"{base}/login", headers=forwarded).status_code == 200
    assert "X-Forwarded-For" not in trusted[0]
    quiet: list[str] = []
    with serving(db, stderr=quiet) as base:
        assert httpx.get(f"{base}/login").status_code == 200
    assert "X-Forwarded-For" not in quiet[0]
