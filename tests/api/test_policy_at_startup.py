"""An invalid policy or calendar stops the server at start with the reason; one that
turns invalid while it serves is the server's error (500), never the client's 422."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tahator.asgi import create_app
from tahator.domain.errors import InputError
from tahator.io.policy import DEFAULT_POLICY
from tests.api.conftest import House
from tests.e2e.conftest import TAHATOR

GOOD = "cutoff_business_days = 2"


def late_policy(folder: Path) -> Path:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    assert GOOD in text
    path = folder / "late.toml"
    path.write_text(text.replace(GOOD, "cutoff_business_days = 25"), encoding="utf-8")
    return path


def test_the_application_is_not_built_over_an_invalid_calendar(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cutoff_business_days"):
        create_app(f"sqlite:///{tmp_path / 'x.db'}", late_policy(tmp_path))


def test_serve_refuses_to_start_and_says_why(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert subprocess.run([*TAHATOR, "--db", url, "db", "upgrade"], check=False).returncode == 0
    done = subprocess.run(
        [*TAHATOR, "--db", url, "serve", "--port", "1"],
        env={**os.environ, "TAHATOR_POLICY": str(late_policy(tmp_path))},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "cutoff_business_days" in done.stderr
    assert "25" in done.stderr


def test_a_policy_broken_while_serving_is_a_500_not_the_clients_422(
    house: House, tmp_path: Path
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(DEFAULT_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    app = create_app(house.url, path)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/api/v1/schedule", headers=house.as_("trader")).status_code == 200
        late_policy(tmp_path).replace(path)
        os.utime(path, (path.stat().st_atime + 10, path.stat().st_mtime + 10))
        answer = client.get("/api/v1/schedule", headers=house.as_("trader"))
    assert answer.status_code == 500
    assert "cutoff_business_days" not in answer.text
    app.state.engine.dispose()
