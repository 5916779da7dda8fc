"""``tahator.logs``: request ids, JSON lines, redaction, configuration."""

from __future__ import annotations

import json
import logging

import pytest

from tahator import logs


@pytest.mark.parametrize("given", ["a", "A-b_c.9", "x" * 64, "0f" * 16])
def test_a_well_formed_request_id_is_taken(given: str) -> None:
    assert logs.given_or_new(given) == given


@pytest.mark.parametrize(
    "given", [None, "", "x" * 65, "a b", "a\nb", "a;b", "a/b", "ünï", '{"json": 1}']
)
def test_any_other_is_replaced_by_a_new_one(given: str | None) -> None:
    made = logs.given_or_new(given)
    assert made != given
    assert len(made) == 32
    assert logs.given_or_new(given) != made


def test_acting_for_sets_the_id_within_the_block() -> None:
    assert logs.request_id() is None
    with logs.acting_for("outer"):
        with logs.acting_for("inner"):
            assert logs.request_id() == "inner"
        assert logs.request_id() == "outer"
    assert logs.request_id() is None


def test_a_line_is_one_json_document(capfd: pytest.CaptureFixture[str]) -> None:
    logs.configure()
    capfd.readouterr()
    with logs.acting_for("job:sweep:2026-11-30"):
        logs.line("job", job="sweep", occurrence="2026-11-30", outcome={"cancelled": 2})
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1
    document = json.loads(lines[0])
    assert document["kind"] == "job"
    assert document["request_id"] == "job:sweep:2026-11-30"
    assert document["outcome"] == {"cancelled": 2}


def test_configure_is_idempotent(capfd: pytest.CaptureFixture[str]) -> None:
    for _ in range(3):
        logs.configure()
    named = [h for h in logs.LOGGER.handlers if h.get_name() == "tahator-json"]
    assert len(named) == 1
    assert logs.LOGGER.level == logging.INFO
    capfd.readouterr()
    logs.line("once")
    assert len(capfd.readouterr().err.splitlines()) == 1


def test_other_records_become_json_lines_with_their_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    logs.configure()
    capfd.readouterr()
    try:
        raise ValueError("password=hunter2222 was wrong")
    except ValueError:
        logging.getLogger("tahator.api").exception("unhandled error")
    document = json.loads(capfd.readouterr().err.splitlines()[0])
    assert document["level"] == "error"
    assert document["logger"] == "tahator.api"
    assert "ValueError" in document["error"]
    assert "hunter2222" not in document["error"]


def test_uvicorns_access_lines_lose_their_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/login?next=/secret&token=abc", "1.1", 200),
        None,
    )
    assert logs.AccessQueryFilter().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /login HTTP/1.1" 200'


def test_uvicorns_own_errors_are_json_lines_and_handled_ones_are_not_repeated(
    capfd: pytest.CaptureFixture[str],
) -> None:
    import logging.config

    logging.config.dictConfig(logs.uvicorn_log_config("warning"))
    capfd.readouterr()
    error_log = logging.getLogger("uvicorn.error")
    for handled in (False, True):
        try:
            raise RuntimeError(f"boom {handled}")
        except RuntimeError as error:
            if handled:
                logs.mark_logged(error)
            error_log.exception("Exception in ASGI application")
    lines = capfd.readouterr().err.splitlines()
    assert len(lines) == 1  # the handled one was logged by the application already
    document = json.loads(lines[0])
    assert document["logger"] == "uvicorn.error"
    assert "RuntimeError: boom False" in document["error"]
    logging.config.dictConfig(
        {"version": 1, "disable_existing_loggers": False, "loggers": {"uvicorn": {"handlers": []}}}
    )
