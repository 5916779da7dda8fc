"""Sign-in throttling: the same answers for known and unknown users through the lockout,
waits per username and per client address that end in minutes, a lock that revokes the
user's tokens, and passwords that are hard to guess."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tahator import signin
from tahator.domain.errors import InputError
from tahator.services import common, throttle, users
from tahator.store.database import reading, transaction
from tahator.store.schema import AuditRecord, SignInFailures
from tests.api.conftest import PASSWORD, House, sign_in
from tests.conftest import Cli
from tests.e2e.test_serve_cli import create_user as create_cli_user
from tests.web.conftest import browser, csrf_of

WRONG = "not the password at all"


def attempt(client: TestClient, username: str, password: str = WRONG) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def answer(response: httpx.Response) -> tuple[int, Any, dict[str, str]]:
    """What a client learns: status, body and headers (less the clock's ``date`` and the
    request's own id)."""
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "x-request-id")}
    return response.status_code, response.json(), headers


def let_waits_pass(house: House) -> None:
    with transaction(house.engine) as session:
        session.execute(update(SignInFailures).values(wait_until=None))


def test_the_waits_end_in_minutes_and_grow_by_doubling() -> None:
    pair = [throttle.wait_after(n, throttle.PAIR_FREE) for n in range(1, 13)]
    assert [w.total_seconds() for w in pair] == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    address = [throttle.wait_after(n, throttle.ADDRESS_FREE) for n in range(20, 32)]
    assert [w.total_seconds() for w in address[:6]] == [0, 2, 4, 8, 16, 32]
    assert max(address) == throttle.MAX_WAIT == timedelta(minutes=5)
    assert throttle.LOCK_AFTER == 50
    assert throttle.LOCK_WAIT.total_seconds() == 15 * 60


def expected_wait(failure: int) -> int:
    """The wait after the ``failure``-th failure of a username from one address."""
    waits = [
        throttle.wait_after(failure, throttle.PAIR_FREE),
        throttle.wait_after(failure, throttle.ADDRESS_FREE),
        throttle.LOCK_WAIT if failure >= throttle.LOCK_AFTER else timedelta(0),
    ]
    return int(max(waits).total_seconds())


@pytest.fixture
def still(monkeypatch: pytest.MonkeyPatch) -> None:
    """The users' clock stands still: on a loaded machine a second can pass between a
    failure and the next attempt (an Argon2 check or two), and a wait compared to the
    second would have run out or read a second shorter."""
    frozen = common.now()
    monkeypatch.setattr(users, "now", lambda: frozen)


def test_known_and_unknown_users_get_the_same_answers_through_the_lockout(
    house: House, still: None
) -> None:
    client = house.client
    # Each from its own address, so that one's count does not slow the other.
    other = TestClient(house.client.app, client=("192.0.2.77", 50000))
    bank_token = house.as_("bank")
    assert client.get("/api/v1/auth/me", headers=bank_token).status_code == 200
    for failure in range(1, throttle.LOCK_AFTER + 1):
        known, unknown = attempt(client, "bank"), attempt(other, "nobody")
        assert answer(known) == answer(unknown), failure
        assert known.status_code == 401
        if failure > throttle.PAIR_FREE:
            # Now even the right password waits, and says so alike for both.
            waited = attempt(client, "bank", PASSWORD)
            unknown_waited = attempt(other, "nobody", PASSWORD)
            assert answer(waited) == answer(unknown_waited), failure
            assert waited.status_code == 429
            assert int(waited.headers["retry-after"]) == expected_wait(failure), failure
            assert waited.json()["detail"].startswith("too many failed sign-ins")
        if failure < throttle.LOCK_AFTER:
            # Before the lock the bank's token lives on.
            assert client.get("/api/v1/auth/me", headers=bank_token).status_code == 200
            let_waits_pass(house)
    # The lock holds everywhere, revoked the token the bank had, and is listed.
    elsewhere = TestClient(house.client.app, client=("10.0.0.7", 50000))
    locked = attempt(elsewhere, "bank", PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) == throttle.LOCK_WAIT.total_seconds()
    assert client.get("/api/v1/auth/me", headers=bank_token).status_code == 401
    with reading(house.engine) as session:
        locks = session.scalars(
            select(AuditRecord.subject).where(AuditRecord.action == "user.lock")
        ).all()
        listed = {u.username: u.locked_until for u in users.list_users(session)}
    assert list(locks) == ["user:bank"]  # nothing recorded for a name nobody has
    assert listed["bank"] is not None
    let_waits_pass(house)
    token = sign_in(client, "bank")
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()[
            "username"
        ]
        == "bank"
    )


def test_a_guesser_cannot_keep_the_owner_out(house: House) -> None:
    # One failure every few minutes, or a burst, from the guesser's address: that address
    # waits; the owner, from its own, signs in, and keeps its tokens.
    guesser = TestClient(house.client.app, client=("203.0.113.9", 40000))
    owner_token = house.as_("bank")
    for _ in range(throttle.LOCK_AFTER - 1):
        attempt(guesser, "bank")
        let_waits_pass(house)
    owner = TestClient(house.client.app, client=("198.51.100.4", 40000))
    assert attempt(owner, "bank", PASSWORD).status_code == 200
    assert house.client.get("/api/v1/auth/me", headers=owner_token).status_code == 200
    with reading(house.engine) as session:
        assert not session.scalars(
            select(AuditRecord.subject).where(AuditRecord.action == "user.lock")
        ).all()
    # The owner's success cleared the username's count: the ceiling starts again.
    with reading(house.engine) as session:
        assert session.get(SignInFailures, throttle.user_key("bank")) is None


def test_attempts_while_waiting_are_not_counted(house: House, still: None) -> None:
    statuses = [attempt(house.client, "auditor").status_code for _ in range(throttle.PAIR_FREE + 2)]
    assert statuses == [401] * (throttle.PAIR_FREE + 1) + [429]
    with reading(house.engine) as session:
        counted = session.scalar(
            select(SignInFailures.failures).where(
                SignInFailures.key == throttle.pair_key("auditor", "testclient")
            )
        )
    assert counted == throttle.PAIR_FREE + 1  # the fifth came during the wait
    with transaction(house.engine) as session:
        users.unlock(session, "auditor", "test")
    assert sign_in(house.client, "auditor")


def test_one_address_trying_many_usernames_is_slowed_but_others_are_not(
    house: House, still: None
) -> None:
    for n in range(throttle.ADDRESS_FREE):
        assert attempt(house.client, f"guess-{n}").status_code == 401, n
    assert attempt(house.client, "guess-last").status_code == 401  # the 21st: now it waits
    slowed = attempt(house.client, "op", PASSWORD)
    assert slowed.status_code == 429
    assert int(slowed.headers["retry-after"]) == 2
    # The owner, from its own address, is not held up by the guesser's.
    elsewhere = TestClient(house.client.app, client=("10.0.0.2", 50000))
    assert attempt(elsewhere, "op", PASSWORD).status_code == 200


def test_an_operator_unlocks_and_the_user_list_shows_the_wait(house: House) -> None:
    for _ in range(throttle.PAIR_FREE + 1):
        signin_failure(house, "customs")
    with reading(house.engine) as session:
        listed = {u.username: u.locked_until for u in users.list_users(session)}
    assert listed["customs"] is not None
    assert listed["op"] is None
    with transaction(house.engine) as session:
        assert users.unlock(session, "customs", "test").locked_until is None
    assert sign_in(house.client, "customs")


def signin_failure(house: House, username: str) -> None:
    with pytest.raises(signin.AuthenticationError):
        signin.sign_in(house.engine, username, WRONG, "api", "192.0.2.1")


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "password1234", "qwertyuiop123", "iloveyou1234", "bankbankbank"]
)
def test_common_and_patterned_passwords_are_refused(house: House, password: str) -> None:
    with transaction(house.engine) as session, pytest.raises(InputError) as refused:
        users.create_user(session, "bank2", "bank", password, "test")
    [problem] = refused.value.problems
    assert problem.field == "password"
    assert "too easy to guess" in problem.message


def test_a_hard_password_is_accepted(house: House) -> None:
    with transaction(house.engine) as session:
        made = users.create_user(session, "bank2", "bank", "velvet quarry lantern 42", "test")
    assert made.username == "bank2"


def test_the_sign_in_page_answers_known_and_unknown_users_alike(house: House) -> None:
    def post(username: str, password: str = WRONG) -> tuple[int, str]:
        client = browser(house)
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        )
        message = response.text.split('id="login-error">')[1].split("<")[0]
        return response.status_code, message

    for failure in range(1, throttle.PAIR_FREE + 2):
        known, unknown = post("trader1"), post("nobody")
        assert known == unknown == (401, "Wrong username or password."), failure
        if failure > throttle.PAIR_FREE:
            waited = post("trader1", PASSWORD)
            assert waited == post("nobody", PASSWORD)
            assert waited[0] == 429
            assert waited[1] == "Too many failed attempts: try again in 2 s."
        let_waits_pass(house)
    with reading(house.engine) as session:
        # trader1 and nobody: each a pair and a username count; the address's.
        assert session.scalar(select(func.count()).select_from(SignInFailures)) == 5


def test_the_cli_refuses_a_common_password_naming_the_field(tmp_path: Path, cli: Cli) -> None:
    url = f"sqlite:///{tmp_path / 'house.db'}"
    assert cli("--db", url, "db", "upgrade")[0] == 0
    made = create_cli_user(
        url, "op", "--role", "operator", "--password-stdin", password="aaaaaaaaaaaa"
    )
    assert made.returncode == 2
    assert "password: too easy to guess" in made.stderr


@pytest.mark.parametrize("password", ["tahator-demo-2025", "Tahator12345!", "Pakistan@2025"])
def test_passwords_made_of_this_sites_names_are_refused(house: House, password: str) -> None:
    with transaction(house.engine) as session, pytest.raises(InputError) as refused:
        users.create_user(session, "bank2", "bank", password, "test")
    [problem] = refused.value.problems
    assert problem.field == "password"
    assert "too easy to guess" in problem.message


def test_the_sign_in_form_takes_the_username_as_it_was_stored(house: House) -> None:
    client = browser(house)
    page = client.get("/login")
    fullwidth = "\uff4f\uff50"  # "ｏｐ": NFKC makes it "op"
    form = {"username": fullwidth, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    assert client.post("/login", data=form).status_code == 303
    assert attempt(house.client, fullwidth, PASSWORD).status_code == 200
