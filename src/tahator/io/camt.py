"""A bank's statement of the clearing account: ISO 20022 camt.053 (Bank-to-Customer
Statement) or camt.054 (Debit/Credit Notification), versions .001.02 to .001.12.

Read by local names, whatever the version's namespace (the elements this reads have
kept their names since .001.02), refusing DTDs and entities (defusedxml: no
billion laughs, no external entities).  An entry that cannot be read (a malformed or
negative amount, more decimals than its currency has, an unknown currency) is kept
with its ``problem`` so that the bank sees it listed; only a file that is not a camt
statement at all is an ``InputError``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from tahator.domain import bank
from tahator.domain.errors import InputError, Problem
from tahator.domain.money import parse_amount
from tahator.i18n import speaking
from tahator.io import xml_safe

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)")
_BODY = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
_OLDEST, _NEWEST = 2, 12
_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
MAX_MESSAGE_ID = 35
MAX_BYTES = 16 * 1024 * 1024
"""The largest file read (the API's request limit): a day's statement is far smaller."""


@dataclass(frozen=True)
class Transaction:
    """One payment inside an entry (``NtryDtls/TxDtls``), or the entry itself when it
    details none."""

    amount: int | None
    """Minor units of the entry's currency; ``None`` if it could not be read."""
    amount_text: str
    end_to_end_id: str | None
    creditor_references: tuple[str, ...]
    """``RmtInf/Strd/CdtrRefInf/Ref``, else the references found in ``Ustrd``."""
    return_reason: str | None
    """``RtrInf/Rsn/Cd``: the payment came back, with this reason."""
    original_end_to_end_id: str | None
    problem: str | None = None


@dataclass(frozen=True)
class Entry:
    """One entry (``Ntry``) of the account."""

    number: int
    """Its place in the file, from 1."""
    amount: int | None
    """Minor units of ``currency``; ``None`` if it could not be read."""
    amount_text: str
    currency: str
    credit: bool
    status: str
    """``BOOK`` (booked: it applies), ``PDNG``, ``INFO``…"""
    reversal: bool
    bank_reference: str | None
    """``AcctSvcrRef``: the bank's own reference for the entry."""
    transactions: tuple[Transaction, ...]
    problem: str | None = None


@dataclass(frozen=True)
class CamtMessage:
    message_id: str
    kind: str
    """The message definition: ``camt.054.001.08``."""
    accounts: tuple[str, ...]
    """The IBAN of each statement or notification, in order, without repeats."""
    entries: tuple[Entry, ...]
    digest: str
    """SHA-256 of the file: the same ``MsgId`` with other content is another file."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: Element | None, *path: str) -> Element | None:
    """The first descendant along ``path`` of local names, whatever the namespace."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if _local(c.tag) == name), None)
    return element


def _children(element: Element, name: str) -> Iterator[Element]:
    return (c for c in element if _local(c.tag) == name)


def _text(element: Element | None, *path: str) -> str | None:
    found = _child(element, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _descendants(element: Element, name: str) -> Iterator[Element]:
    return (e for e in element.iter() if _local(e.tag) == name)


def minor_units(text: str, currency: str, digits: Mapping[str, int]) -> int:
    """``text`` (an ISO 20022 amount: ``1234.50``) in minor units of ``currency``;
    ``ValueError`` saying why not."""
    if currency not in digits:
        raise ValueError(f"{currency or 'no currency'} is not a currency of the corridor")
    # ISO 20022 writes plain decimals: no grouping, no local digits, no sign.
    if _AMOUNT.fullmatch(text) is None:
        raise ValueError(f"{text[:40]!r} is not an amount (a positive decimal: 1234.50)")
    # In English whoever imports: the problem is stored with the report, read in any
    # language (and the CLI's and API's words are English).
    with speaking("en"):
        minor = parse_amount(text, digits[currency])
    if minor <= 0:
        raise ValueError(f"{text} {currency} is not an amount a payment can have")
    return minor


def _kind(root: Element) -> tuple[str, str]:
    """The message definition (``camt.054.001.08``) and its short name (``camt.054``)."""
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    found = _NAMESPACE.fullmatch(namespace)
    if _local(root.tag) != "Document" or found is None:
        raise InputError(
            [
                Problem(
                    "not a camt.053 or camt.054 file: its root is "
                    f"{_local(root.tag)} in namespace {namespace or '(none)'}, not Document in "
                    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.xx or camt.054.001.xx"
                )
            ]
        )
    version = int(found[2])
    kind = f"{found[1]}.001.{found[2]}"
    if not _OLDEST <= version <= _NEWEST:
        raise InputError([Problem(f"{kind} is not a version this reads (.001.02 to .001.12)")])
    return kind, found[1]


def read(content: bytes, digits: Mapping[str, int]) -> CamtMessage:
    """The statement or notification in ``content``; ``digits`` gives each currency's
    minor-unit digits (the corridor's)."""
    if len(content) > MAX_BYTES:
        raise InputError([Problem(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB")])
    root = xml_safe.parse(content, "a camt file")
    kind, short = _kind(root)
    body_name, part_name = _BODY[short]
    body = _child(root, body_name)
    if body is None:
        raise InputError([Problem(f"a {kind} file has no {body_name}")])
    message_id = _text(body, "GrpHdr", "MsgId")
    if message_id is None:
        raise InputError([Problem(f"the {kind} file has no GrpHdr/MsgId")])
    if len(message_id) > MAX_MESSAGE_ID:
        raise InputError(
            [Problem(f"MsgId {message_id[:40]!r} is longer than {MAX_MESSAGE_ID} characters")]
        )
    if message_id in (".", "..") or any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in message_id
    ):
        # Shown, linked and kept as the file's key: no control or direction marks, and
        # nothing a browser would read as a path step.
        raise InputError([Problem(f"MsgId {message_id!r} is not a message identifier")])
    accounts: list[str] = []
    entries: list[Entry] = []
    parts = list(_children(body, part_name))
    if not parts:
        raise InputError([Problem(f"the {kind} file has no {part_name}")])
    for number, part in enumerate(parts, start=1):
        account = _text(part, "Acct", "Id", "IBAN")
        if account is None:
            raise InputError(
                [Problem(f"{part_name} {number} names no account IBAN (Acct/Id/IBAN)")]
            )
        account = account.replace(" ", "").upper()
        if account not in accounts:
            accounts.append(account)
        for entry in _children(part, "Ntry"):
            entries.append(_entry(entry, len(entries) + 1, digits))
    digest = hashlib.sha256(content).hexdigest()
    return CamtMessage(message_id, kind, tuple(accounts), tuple(entries), digest)


def _entry(element: Element, number: int, digits: Mapping[str, int]) -> Entry:
    amount_element = _child(element, "Amt")
    amount_text = (amount_element.text or "").strip() if amount_element is not None else ""
    currency = (amount_element.get("Ccy") or "").strip() if amount_element is not None else ""
    problem: str | None = None
    minor: int | None = None
    try:
        minor = minor_units(amount_text, currency, digits)
    except ValueError as error:
        problem = str(error)
    indicator = _text(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        problem = problem or f"CdtDbtInd is {indicator or 'missing'}, not CRDT or DBIT"
    # .001.02–.04 put the status as text; later versions in Sts/Cd.
    status = (_text(element, "Sts", "Cd") or _text(element, "Sts") or "").upper()
    details = [t for d in _children(element, "NtryDtls") for t in _children(d, "TxDtls")]
    if not details:
        transactions: tuple[Transaction, ...] = (
            _transaction(element, amount_text, minor, currency, digits, element),
        )
    else:
        transactions = tuple(
            _transaction(
                detail,
                amount_text if len(details) == 1 else "",
                minor if len(details) == 1 else None,
                currency,
                digits,
                element,
            )
            for detail in details
        )
    return Entry(
        number=number,
        amount=minor,
        amount_text=amount_text,
        currency=currency,
        credit=indicator == "CRDT",
        status=status,
        reversal=(_text(element, "RvslInd") or "").lower() in ("true", "1"),
        bank_reference=_text(element, "AcctSvcrRef"),
        transactions=transactions,
        problem=problem,
    )


def _transaction(
    detail: Element,
    entry_text: str,
    entry_minor: int | None,
    currency: str,
    digits: Mapping[str, int],
    entry: Element,
) -> Transaction:
    """One ``TxDtls``: its own amount (``Amt`` from .001.03, ``AmtDtls/TxAmt/Amt``), or
    the entry's when it is the entry's only one."""
    own = _child(detail, "Amt") if detail is not entry else None
    if own is None and detail is not entry:
        own = _child(detail, "AmtDtls", "TxAmt", "Amt")
    text, minor, problem = entry_text, entry_minor, None
    if own is not None:
        text = (own.text or "").strip()
        own_currency = (own.get("Ccy") or currency).strip()
        try:
            if own_currency != currency:
                raise ValueError(f"a transaction in {own_currency} inside an entry in {currency}")
            minor = minor_units(text, currency, digits)
        except ValueError as error:
            minor, problem = None, str(error)
    elif not text:
        problem = "one of several transactions of the entry gives no amount of its own"
    return_reason = None
    original: str | None = None
    if detail is not entry:
        return_reason = _text(detail, "RtrInf", "Rsn", "Cd")
        original = next(
            (
                e.text.strip()
                for e in _descendants(detail, "OrgnlEndToEndId")
                if e.text and e.text.strip()
            ),
            None,
        )
    end_to_end = _text(detail, "Refs", "EndToEndId") if detail is not entry else None
    if end_to_end is not None and end_to_end.upper() == "NOTPROVIDED":
        end_to_end = None
    return Transaction(
        amount=minor,
        amount_text=text,
        end_to_end_id=end_to_end,
        creditor_references=_creditor_references(detail) if detail is not entry else (),
        return_reason=return_reason.upper() if return_reason else None,
        original_end_to_end_id=original,
        problem=problem,
    )


def _creditor_references(detail: Element) -> tuple[str, ...]:
    information = _child(detail, "RmtInf")
    if information is None:
        return ()
    structured = [
        text
        for strd in _children(information, "Strd")
        if (text := _text(strd, "CdtrRefInf", "Ref")) is not None
    ]
    if structured:
        return tuple(structured)
    found: list[str] = []
    for line in _children(information, "Ustrd"):
        for reference in bank.references_in(line.text or ""):
            if reference not in found:
                found.append(reference)
    return tuple(found)
