"""Importing and withdrawing sanctions lists, each followed by screening every firm
again (``sanctions_lists.py`` stores the versions; ``screening.py`` screens)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tahator.domain.list_changes import ChangeSummary
from tahator.domain.screening import ParsedList
from tahator.services import sanctions_lists
from tahator.services.screening import ScreeningChanges, rescreen_all


@dataclass(frozen=True)
class ListImport:
    """A list imported (or found equal to the version in force) and what it changed."""

    list: sanctions_lists.ListVersion
    unchanged: bool
    changes: ScreeningChanges
    """What screening every firm again changed."""
    entries: ChangeSummary | None = None
    """The entries added, removed and changed against the newest version of the same
    list (counts and the first few; ``tahator lists diff`` gives them all)."""
    shrink_confirmed: bool = False


@dataclass(frozen=True)
class ListWithdrawal:
    """A list withdrawn and what screening every firm again changed."""

    list: sanctions_lists.ListVersion
    changes: ScreeningChanges


def import_list(
    session: Session,
    parsed: ParsedList,
    actor: str,
    *,
    confirm_shrink: bool = False,
    new_list: bool = False,
) -> ListImport:
    """Import a parsed list file as a new version of its list (``parsed.name``), then
    re-screen every firm.  A file equal (SHA-256) to the version in force is not
    imported again; one removing more than the shrink limit of the entries is refused
    (``sanctions_lists.ShrinkRefusedError``) unless ``confirm_shrink``; a name no list
    has yet (``sanctions_lists.NewListRefusedError``) unless ``new_list``.  The readers
    in ``tahator.io`` refuse bad or hostile files."""
    added = sanctions_lists.add_version(
        session, parsed, actor, confirm_shrink=confirm_shrink, new_list=new_list
    )
    entries = sanctions_lists.report(added.changes)
    if not added.added:
        return ListImport(added.version, True, ScreeningChanges(), entries)
    return ListImport(
        added.version, False, rescreen_all(session, actor), entries, added.shrink_confirmed
    )


def withdraw_list(session: Session, name: str, reason: str, actor: str) -> ListWithdrawal:
    """Withdraw list ``name`` (``sanctions_lists.withdraw``), then re-screen every firm
    against the lists still in force."""
    version = sanctions_lists.withdraw(session, name, reason, actor)
    return ListWithdrawal(version, rescreen_all(session, actor))
