"""The clearing house's tables (SQLAlchemy 2 declarative models).

Money columns are BIGINT minor units: of the row's ``currency`` where it has one,
otherwise of the corridor's unit of account.  Decimal rates are stored as text,
so that no database turns them into floating point.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from tahator.store.barter_tables import (
    Authorization,
    AuthorizationLine,
    Declaration,
    MatchingRun,
    Offer,
    Proposal,
    ProposalLeg,
)
from tahator.store.base import CODE, FIRM_ID, NAMING, Base
from tahator.store.border_tables import BorderResident, BorderSale
from tahator.store.customs_tables import Consignment, LaneSelection
from tahator.store.ops_tables import JobFailure, JobRun, Webhook, WebhookDelivery
from tahator.store.types import UtcDateTime


class Corridor(Base):
    """The corridor this database serves; one row."""

    __tablename__ = "corridor"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_of_account: Mapped[str] = mapped_column(CODE)
    unit_digits: Mapped[int] = mapped_column(Integer)
    max_obligation: Mapped[int] = mapped_column(BigInteger, server_default="100000000000")
    """The largest obligation registered, in minor units of the unit of account."""
    setoff_before_due: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    """Whether runs set off obligations not yet due (settled only once due)."""
    shortfall: Mapped[str] = mapped_column(String(20), default="hold", server_default="hold")
    """A returned collection's payouts: ``hold`` them or draw the ``credit_line``."""


class Currency(Base):
    __tablename__ = "currencies"
    code: Mapped[str] = mapped_column(CODE, primary_key=True)
    digits: Mapped[int] = mapped_column(Integer)


class Country(Base):
    __tablename__ = "countries"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))


class ClearingAccount(Base):
    """One per country: collects from its debtors, pays its creditors."""

    __tablename__ = "clearing_accounts"
    country: Mapped[str] = mapped_column(ForeignKey("countries.code"), primary_key=True)
    credit_line: Mapped[int] = mapped_column(BigInteger, default=0)
    """In minor units of the unit of account."""
    credit_line_share: Mapped[str | None] = mapped_column(String(20))  # of gross payments


class FxRate(Base):
    """Units of ``currency`` per unit of account, from ``valid_from`` on."""

    __tablename__ = "fx_rates"
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    rate: Mapped[str] = mapped_column(String(40))


class Firm(Base):
    __tablename__ = "firms"
    id: Mapped[str] = mapped_column(FIRM_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    tax_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="active")
    active_taxpayer: Mapped[bool] = mapped_column(Boolean, default=False)
    psw_subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    state_enterprise: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    screening: Mapped[str] = mapped_column(
        String(20), default="unscreened", server_default="unscreened"
    )
    """Sanctions screening: ``unscreened``, ``clear``, ``blocked`` (a hit awaits an
    operator), ``confirmed`` (a true match: never trades) or ``cleared`` (a false positive)."""


class FirmAlias(Base):
    __tablename__ = "firm_aliases"
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(300), primary_key=True)


class Consortium(Base):
    """Private firms applying together; every member jointly and severally liable."""

    __tablename__ = "consortia"
    id: Mapped[str] = mapped_column(FIRM_ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    lead_firm: Mapped[str] = mapped_column(ForeignKey("firms.id"))
    liability: Mapped[str] = mapped_column(String(40), default="joint_and_several")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class ConsortiumMember(Base):
    __tablename__ = "consortium_members"
    consortium_id: Mapped[str] = mapped_column(ForeignKey("consortia.id"), primary_key=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), primary_key=True)


class Obligation(Base):
    """A debtor owes a creditor ``amount`` of ``currency`` by ``due_date``."""

    __tablename__ = "obligations"
    __table_args__ = (
        UniqueConstraint("debtor", "reference"),
        Index("ix_obligations_creditor", "creditor"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(100))
    """The submitter's own id for it, unique per debtor."""
    debtor: Mapped[str] = mapped_column(ForeignKey("firms.id"))
    creditor: Mapped[str] = mapped_column(ForeignKey("firms.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    remaining: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str | None] = mapped_column(String(100))
    """Where it came from when not from the debtor: e.g. a barter authorization."""


class ObligationLiability(Base):
    """A firm jointly and severally liable for an obligation (a consortium member)."""

    __tablename__ = "obligation_liabilities"
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), primary_key=True)


class ClearingRun(Base):
    __tablename__ = "clearing_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    unit_of_account: Mapped[str] = mapped_column(CODE)
    obligations: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(BigInteger)
    cleared: Mapped[int] = mapped_column(BigInteger)
    remainder: Mapped[int] = mapped_column(BigInteger)
    figures: Mapped[dict[str, object]] = mapped_column(JSON)
    """Settlement figures and counts, as shown to users."""
    cutoff_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """The filing cut-off: obligations registered after it waited for the next run
    (``None``: a run that took everything registered when it began)."""


class RunRate(Base):
    """The reference rates a run converted at."""

    __tablename__ = "run_rates"
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_runs.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"), primary_key=True)
    rate: Mapped[str] = mapped_column(String(40))


class SetoffNotice(Base):
    """What a run set off of one obligation, in its currency and the unit of account."""

    __tablename__ = "setoff_notices"
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_runs.id"), primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    before: Mapped[int] = mapped_column(BigInteger)
    setoff: Mapped[int] = mapped_column(BigInteger)
    after: Mapped[int] = mapped_column(BigInteger)
    setoff_unit: Mapped[int] = mapped_column(BigInteger)


class SettlementInstruction(Base):
    """A domestic payment between a firm and its country's clearing account."""

    __tablename__ = "settlement_instructions"
    __table_args__ = (Index("ix_settlement_instructions_run", "run_id", "firm_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_runs.id"))
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"))
    country: Mapped[str] = mapped_column(ForeignKey("countries.code"))
    kind: Mapped[str] = mapped_column(String(20))
    owed: Mapped[int] = mapped_column(BigInteger)
    """Unit of account: what the firm owes (collection) or is owed (payout)."""
    amount: Mapped[int] = mapped_column(BigInteger)
    """Unit of account: what moves now."""
    local_currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    local_amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    confirmed_by: Mapped[str | None] = mapped_column(String(100))
    return_reason: Mapped[str | None] = mapped_column(String(4))  # ISO 20022: AC04, AM04…
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    returned_by: Mapped[str | None] = mapped_column(String(100))
    replaces: Mapped[int | None] = mapped_column(ForeignKey("settlement_instructions.id"))
    """The returned collection this one (a jointly liable member's) replaces."""


class BankAccount(Base):
    """The bank account of a firm or of a country's clearing account (exactly one of
    ``firm_id`` and ``clearing_country``): where payouts go and collections arrive."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        CheckConstraint("(firm_id IS NULL) <> (clearing_country IS NULL)", name="one_owner"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[str | None] = mapped_column(ForeignKey("firms.id"), unique=True)
    clearing_country: Mapped[str | None] = mapped_column(
        ForeignKey("clearing_accounts.country"), unique=True
    )
    iban: Mapped[str] = mapped_column(String(34))
    """Compact (no spaces), upper case, checked: ``PK36SCBL0000001123456702``."""
    bic: Mapped[str | None] = mapped_column(String(11))
    holder: Mapped[str] = mapped_column(String(140))
    """The account holder's name as the bank knows it (ISO 20022 ``Nm``: 140)."""
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(100))


class BankMessage(Base):
    """An ISO 20022 file a bank sent (camt.053/054), kept so that importing it again
    changes nothing: keyed by the clearing account it is of and its ``MsgId`` (unique
    only per sending bank), with what the import did."""

    __tablename__ = "bank_messages"
    country: Mapped[str] = mapped_column(ForeignKey("clearing_accounts.country"), primary_key=True)
    """The clearing account the statement is of."""
    message_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """The message definition: ``camt.054.001.08``."""
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the file: the same ``MsgId`` with other content is refused."""
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    imported_by: Mapped[str] = mapped_column(String(100))
    report: Mapped[dict[str, object]] = mapped_column(JSON)
    """What the import matched, returned and left unmatched (canonical JSON)."""


class PaymentFile(Base):
    """A pain.001 handed to a clearing account's bank: kept as written, so that asking
    again gives the same file, and each payout is sent in one file only."""

    __tablename__ = "payment_files"
    message_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_runs.id"))
    country: Mapped[str] = mapped_column(ForeignKey("clearing_accounts.country"))
    content: Mapped[str] = mapped_column(Text)
    """The XML as handed out (UTF-8 text)."""
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class PaymentFileLine(Base):
    """A payout sent in a payment file: once sent, it is not sent again, and it has
    left as far as holds are concerned (the bank may have paid it)."""

    __tablename__ = "payment_file_lines"
    instruction_id: Mapped[int] = mapped_column(
        ForeignKey("settlement_instructions.id"), primary_key=True
    )
    message_id: Mapped[str] = mapped_column(ForeignKey("payment_files.message_id"), index=True)


class Novation(Base):
    """What a run handed of one obligation to the clearing accounts, in its currency."""

    __tablename__ = "novations"
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_runs.id"), primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class Rollover(Base):
    """What a run's clearing account could not pay a firm: carried to the next run."""

    __tablename__ = "rollovers"
    run_id: Mapped[int] = mapped_column(ForeignKey("clearing_runs.id"), primary_key=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    memo: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("clearing_runs.id"))
    instruction_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_instructions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (Index("ix_journal_lines_account", "account", "currency"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("journal_entries.id"), index=True)
    account: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    amount: Mapped[int] = mapped_column(BigInteger)
    """Debit positive, credit negative."""


class User(Base):
    """Someone who signs in to the API or the web UI, with one role."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    firm_id: Mapped[str | None] = mapped_column(ForeignKey("firms.id"))
    """The one firm a trader acts for; empty for every other role."""
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    language: Mapped[str | None] = mapped_column(String(5))
    """The user's language (``en``, ``fa``, ``ur``); empty: the browser's."""
    time_zone: Mapped[str | None] = mapped_column(String(40))
    """The zone times are shown in; empty: the firm's country's, else Pakistan's."""
    toman: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    """Show rials as tomans (ten rials), as Iranians count."""


class SignInFailures(Base):
    """Failed sign-ins, counted per username (known or not: the answers must not tell
    which) and per client address; ``key`` is the SHA-256 of ``user:NAME`` or
    ``address:IP`` (no typed name is kept)."""

    __tablename__ = "sign_in_failures"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    wait_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AccessToken(Base):
    """A bearer token; only its SHA-256 is stored, so a copy of the table grants nothing."""

    __tablename__ = "access_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="api")
    """``api`` (bearer) or ``session`` (web cookie)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class IdempotentRequest(Base):
    """The first answer to a POST with an ``Idempotency-Key``, replayed to its retries."""

    __tablename__ = "idempotent_requests"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditRecord(Base):
    """One state change: who, when, what, before and after, chained by hash to the last."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(200))
    before: Mapped[str] = mapped_column(Text)
    """Canonical JSON (sorted keys), exactly the text that was hashed."""
    after: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    """The HTTP request or worker job that made the change (in the hash when set)."""


class TradeStatistic(Base):
    """One figure of official bilateral trade statistics (UN Comtrade layout)."""

    __tablename__ = "trade_statistics"
    __table_args__ = (UniqueConstraint("reporter", "partner", "flow", "period", "commodity"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reporter: Mapped[str] = mapped_column(String(2))
    partner: Mapped[str] = mapped_column(String(2))
    flow: Mapped[str] = mapped_column(String(1))
    """``M`` (the reporter's imports from the partner) or ``X`` (its exports to it)."""
    period: Mapped[str] = mapped_column(String(6))
    """``YYYYMM`` for a month, ``YYYY`` for a year."""
    commodity: Mapped[str] = mapped_column(String(20))
    """Comtrade's ``cmdCode``: ``TOTAL`` or an HS code."""
    value: Mapped[int] = mapped_column(BigInteger)
    """Minor units of the unit of account (Comtrade's primaryValue, US dollars)."""
    source: Mapped[str] = mapped_column(String(300))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    imported_by: Mapped[str] = mapped_column(String(100))


class SanctionsList(Base):
    """One imported version of a sanctions list (the newest of each name applies, unless
    the list was withdrawn)."""

    __tablename__ = "sanctions_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), index=True, server_default="UN")
    """The list (``UN``, ``OFAC SDN``); the newest version of each name applies."""
    format: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(300))
    """The file's name as imported."""
    sha256: Mapped[str] = mapped_column(String(64))
    generated: Mapped[str | None] = mapped_column(String(40))
    """When the publisher generated it, as the file says."""
    entries: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    imported_by: Mapped[str] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When an operator withdrew the list (this, its newest version): not in force."""
    withdrawn_by: Mapped[str | None] = mapped_column(String(100))
    withdrawn_reason: Mapped[str | None] = mapped_column(String(1000))


class SanctionsEntry(Base):
    """An individual or entity on one list version."""

    __tablename__ = "sanctions_entries"
    __table_args__ = (UniqueConstraint("list_id", "reference"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("sanctions_lists.id"), index=True)
    reference: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    list_type: Mapped[str] = mapped_column(String(60))
    listed_on: Mapped[date | None] = mapped_column(Date)
    data_id: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, object]] = mapped_column(JSON)
    """Dates updated, countries, dates of birth, places of birth, nationalities (ISO
    codes) and identifiers (kind, number, country): as the list gives them."""


class SanctionsAlias(Base):
    """Another name of a listed entry, with the list's quality for it."""

    __tablename__ = "sanctions_aliases"
    entry_id: Mapped[int] = mapped_column(ForeignKey("sanctions_entries.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    quality: Mapped[str] = mapped_column(String(40))


class ScreeningHit(Base):
    """A listed entry a firm's name resembles at the firm's latest screening."""

    __tablename__ = "screening_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(ForeignKey("firms.id"), index=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("sanctions_lists.id"))
    reference: Mapped[str] = mapped_column(String(60))
    entry_name: Mapped[str] = mapped_column(Text)
    list_type: Mapped[str] = mapped_column(String(60))
    screened_name: Mapped[str] = mapped_column(Text)
    """The firm's name or alias that hit."""
    matched_name: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decision: Mapped[str | None] = mapped_column(String(20))
    """``false_positive`` or ``confirmed`` once an operator decides."""
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(Text)


__all__ = [
    "CODE",
    "FIRM_ID",
    "NAMING",
    "AccessToken",
    "AuditRecord",
    "Authorization",
    "AuthorizationLine",
    "Base",
    "BorderResident",
    "BorderSale",
    "ClearingAccount",
    "ClearingRun",
    "Consignment",
    "Consortium",
    "ConsortiumMember",
    "Corridor",
    "Country",
    "Currency",
    "Declaration",
    "Firm",
    "FirmAlias",
    "FxRate",
    "IdempotentRequest",
    "JobFailure",
    "JobRun",
    "JournalEntry",
    "JournalLine",
    "LaneSelection",
    "MatchingRun",
    "Novation",
    "Obligation",
    "ObligationLiability",
    "Offer",
    "Proposal",
    "ProposalLeg",
    "Rollover",
    "RunRate",
    "SanctionsAlias",
    "SanctionsEntry",
    "SanctionsList",
    "ScreeningHit",
    "SetoffNotice",
    "SettlementInstruction",
    "TradeStatistic",
    "User",
    "Webhook",
    "WebhookDelivery",
]
