"""The database, users, the audit log and the demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tahator.cli.common import (
    EXIT_BROKEN,
    MAX_ID,
    DbOption,
    JsonOption,
    _actor,
    _database,
    _print_rows,
    fail,
    print_json,
    use_case,
)
from tahator.cli.serve import _listening_socket, _serve
from tahator.domain.audit import Checkpoint
from tahator.domain.errors import TahatorError
from tahator.formatting import jsonable

db_app = typer.Typer(help="Create or migrate the database.", no_args_is_help=True)
users_app = typer.Typer(help="Users of the API and web UI, and their roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated corridor")] = 2025,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve",
            help="Then create a demo login per role and serve the web UI (--host, --port)",
        ),
    ] = True,
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve on")] = 8000,
) -> None:
    """Build the Pakistan–Iran demo corridor in the database and run a clearing run;
    then, unless --no-serve, print a login per role and serve the web UI."""
    from tahator.demo import run_demo
    from tahator.store.database import database_url, make_engine

    engine = make_engine(database_url(_database["url"]))
    if serve:
        # A port in use: exit 2 now, before the demo is built (and not after).
        _listening_socket(host, port).close()
    try:
        result = run_demo(engine, seed)
        from tahator.demo_worker import run_for_demo, start_loop

        run_for_demo(engine, result)  # what the calendar had due by the demo's date
    except TahatorError as error:
        fail(error)
    if as_json:
        print_json(result.summary())
    else:
        from tahator.report import print_demo

        print_demo(result)
    if serve:
        from tahator.web.demo import ensure_logins, print_logins

        shown = f"[{host}]" if ":" in host else host
        print_logins(ensure_logins(engine), f"http://{shown}:{port}")
        start_loop(engine)  # keeps authorizations true to their deadlines while serving
        _serve(database_url(_database["url"]), host, port, 1)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the database, or migrate it to this version's schema; seed the corridor."""
    from tahator.services import corridor, seal
    from tahator.store import migrate

    with use_case(db, migrate=True) as session:
        migrate.upgrade(session.get_bind())
        seeded = corridor.seed(session)
        # Records from before digests were kept cannot be replayed: seal them as they stand.
        # Never over a broken chain or ledger: that would hide the break; said instead.
        refused = seal.refusal(session) if seal.needed(session) else None
        sealed = seal.needed(session) and refused is None and seal.seal(session, "system")
    print(
        f"database at revision {migrate.head()}"
        + ("; Pakistan–Iran corridor created" if seeded else "")
        + ("; money records sealed as they stand (`tahator audit seal`)" if sealed else "")
    )
    if refused is not None:
        print(f"money records not sealed: {refused}", file=sys.stderr)


@db_app.command("backup")
def db_backup(path: Annotated[Path, typer.Argument(metavar="FILE")], db: DbOption = None) -> None:
    """Back the whole database up to FILE (SQLite: online backup; PostgreSQL: pg_dump -Fc)."""
    from tahator.store import backup
    from tahator.store.database import database_url

    url = database_url(db or _database["url"])
    try:
        backup.backup(url, path)
    except TahatorError as error:
        fail(error)
    print(f"backed up {url} to {path} ({path.stat().st_size} bytes)")


@db_app.command("restore")
def db_restore(path: Annotated[Path, typer.Argument(metavar="FILE")], db: DbOption = None) -> None:
    """Replace the database with the backup in FILE; a file that is not one changes nothing."""
    from tahator.store import backup
    from tahator.store.database import database_url

    url = database_url(db or _database["url"])
    try:
        backup.restore(url, path)
    except TahatorError as error:
        fail(error)
    print(f"restored {url} from {path}")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(metavar="NAME")],
    role: Annotated[str, typer.Option(help="operator, customs, bank, trader or auditor")],
    firm: Annotated[str | None, typer.Option(help="The firm a trader acts for")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a user; the password comes from standard input (never the command line)."""
    from tahator.services import users

    if not password_stdin:
        fail(TahatorError("give the password on standard input with --password-stdin"))
    password = sys.stdin.readline().rstrip("\r\n")
    with use_case() as session:
        view = users.create_user(session, username, role, password, _actor(), firm)
    if as_json:
        print_json(jsonable(view))
    else:
        print(f"user {view.username} created ({view.role})")


@users_app.command("list")
def users_list(as_json: JsonOption = False) -> None:
    """List users and their roles."""
    from tahator.services import users

    with use_case() as session:
        rows = users.list_users(session)
    columns = ("username", "role", "firm", "disabled", "locked_until")
    _print_rows(jsonable(rows), as_json, columns, "users")


@users_app.command("revoke-tokens")
def users_revoke_tokens(username: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Revoke every live token and session of a user."""
    from tahator.services import users

    with use_case() as session:
        count = users.revoke_all(session, username, _actor())
    print(f"{count} tokens revoked")


@users_app.command("unlock")
def users_unlock(username: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Clear a user's failed sign-ins and lock."""
    from tahator.services import users

    with use_case() as session:
        users.unlock(session, username, _actor())
    print(f"user {username} unlocked")


@audit_app.command("verify")
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="A checkpoint from `audit checkpoint`: also fail if the chain was rewritten "
            "or truncated since",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the audit log's hash chain; exit 1 naming the first broken record."""
    from tahator.services import audit

    if checkpoint is not None:
        saved = _read_checkpoint(checkpoint)
        with use_case() as session:
            against = audit.check_against(session, saved)
        if as_json:
            print_json(jsonable(against))
        elif against.ok:
            print(
                f"audit log intact: {against.records} records, extending the checkpoint at "
                f"record {saved.last_id}"
            )
        for line in () if as_json else against.breaks:
            print(line, file=sys.stderr)
        if not against.ok:
            raise typer.Exit(EXIT_BROKEN)
        return
    with use_case() as session:
        check = audit.check_chain(session)
    if as_json:
        print_json(jsonable(check))
    elif check.ok:
        print(f"audit log intact: {check.records} records")
    else:
        print(f"audit record {check.first_break} is broken: {check.reason}", file=sys.stderr)
    if not check.ok:
        raise typer.Exit(EXIT_BROKEN)


_CHECKPOINT_BYTES = 1 << 20
"""A checkpoint is a few hundred bytes: more is not one (and /dev/zero never ends)."""


def _read_checkpoint(path: Path) -> Checkpoint:
    from tahator.domain.errors import InputError, Problem
    from tahator.services import audit

    try:
        with path.open("rb") as file:
            data = file.read(_CHECKPOINT_BYTES + 1)
    except OSError as error:
        fail(InputError([Problem(f"cannot read the checkpoint: {error.strerror}", str(path))]))
    try:
        if len(data) > _CHECKPOINT_BYTES:
            raise InputError([Problem("not a checkpoint: larger than 1 MiB", str(path))])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError([Problem("not a checkpoint: not UTF-8 text", str(path))]) from error
        return audit.read_checkpoint(text, str(path))
    except TahatorError as error:
        fail(error)


@audit_app.command("checkpoint")
def audit_checkpoint(
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="Where to write it")
    ],
) -> None:
    """Write the chain's head (last record's id and hash) and the money tables' row counts
    to FILE, as JSON: keep it outside the database for `audit verify --checkpoint`."""
    from tahator.domain.errors import InputError, Problem
    from tahator.io.tables import atomic_output
    from tahator.services import audit

    with use_case() as session:
        saved = audit.checkpoint(session)
    # Not beside a device nor into a directory made up on the way: a checkpoint goes
    # where its keeper meant, as a regular file.
    if not output.name or (output.exists() and not output.is_file()):
        fail(InputError([Problem("cannot write here: not a regular file", str(output))]))
    if not output.parent.is_dir():
        fail(InputError([Problem("cannot write here: no such directory", str(output))]))
    try:  # whole or not at all; an unwritable place is exit 2 with its reason
        with atomic_output(output) as out:
            out.write(json.dumps(jsonable(saved), indent=2) + "\n")
    except InputError as error:
        fail(error)
    print(f"checkpoint of audit record {saved.last_id} ({saved.records} records) in {output}")


@audit_app.command("seal")
def audit_seal(as_json: JsonOption = False) -> None:
    """Record every money row's digest as it stands in one `ledger.seal` audit record:
    `ledger verify` then starts from it instead of replaying what came before (for a
    database whose older records carry no digests)."""
    from tahator.services import seal

    with use_case() as session:
        counts = seal.seal(session, _actor())
    if as_json:
        print_json(counts)
    else:
        print(
            "ledger sealed: "
            + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items())
        )


@audit_app.command("list")
def audit_list(
    after: Annotated[int, typer.Option(min=0, max=MAX_ID, help="Only records after this id")] = 0,
    limit: Annotated[int, typer.Option(min=1, help="At most this many")] = 100,
    actor: Annotated[str | None, typer.Option(help="Only this actor's")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action")] = None,
    as_json: JsonOption = False,
) -> None:
    """List audit records, oldest first."""
    from tahator.services import audit

    with use_case() as session:
        rows = audit.list_records(session, after_id=after, limit=limit, actor=actor, action=action)
    _print_rows(jsonable(rows), as_json, ("id", "at", "actor", "action", "subject"), "audit log")
