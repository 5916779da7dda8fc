"""The Pakistan–Iran demo corridor: generated firms and invoices, registered, cleared, settled.

Pakistan exports rice, maize, meat, fruit, textiles and medicines; Iran exports
LPG, bitumen, petrochemicals, steel, cement and dates, about twice as much as it
imports.  Importers owe exporters across the border (invoiced in US dollars); at
home, exporters buy fuel, steel and services from importers (invoiced in rupees
or rials), so debts run in rings that set-off can close.  What remains settles
through each country's clearing account.

The demo writes its files to ``var/demo/`` and loads them through the same
services a user's imports go through, so running it twice changes nothing but
adds a clearing run.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tahator.demo_bank import bank_demo
from tahator.demo_customs import build_consignments
from tahator.demo_data import (
    BARTER_GOODS,
    BARTER_STORIES,
    BARTER_SWEEP,
    BORDER_GOODS,
    CONSORTIUM,
    DOMESTIC_CURRENCY,
    IRAN_CITIES,
    IRAN_EXPORT_RATIO,
    IRAN_EXPORTS,
    IRAN_GOODS,
    MEDIAN_OFFER,
    PAKISTAN_CITIES,
    PAKISTAN_EXPORTS,
    PAKISTAN_GOODS,
    BarterStory,
    border_residents,
    tax_id,
)
from tahator.domain.policy import Policy
from tahator.formatting import jsonable
from tahator.io.application import read_application
from tahator.io.barter_report import REPORT_CSV_HEADER, csv_row, report_document
from tahator.io.comtrade import SAMPLE, read_comtrade
from tahator.io.firms import read_firms
from tahator.io.markets import load_trade_policy
from tahator.io.obligations import read_obligations
from tahator.io.policy import load_policy
from tahator.io.sales import sale_record
from tahator.io.tables import write_csv_atomically
from tahator.io.target_report import ChartError, write_target_report
from tahator.services import (
    barter,
    barter_report,
    border,
    clearing,
    corridor,
    firms,
    ledger,
    market,
    obligations,
    stats,
)
from tahator.store import migrate
from tahator.store.database import transaction

CREDIT_LINES = {"PK": 10_000_000_00, "IR": 10_000_000_00}  # cents of USD, per account
DEMO_ACTOR = "demo"
DEMO_DAY = date(2026, 11, 23)  # the demo's business date, whatever today is


@dataclass(frozen=True)
class DemoFirm:
    id: str
    name: str
    country: str
    tax_id: str
    role: str
    """``exporter`` or ``importer`` of ``goods``."""
    goods: str


@dataclass(frozen=True)
class DemoInvoice:
    id: str
    debtor: str
    creditor: str
    amount: str
    """A decimal string in ``currency``."""
    currency: str
    due_date: date


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    firms: tuple[DemoFirm, ...]
    invoices: tuple[DemoInvoice, ...]
    imported: dict[str, dict[str, int]]
    barter: dict[str, Any]
    """Authorizations by state, the sweep and the quarterly report."""
    market: dict[str, Any]
    """The marketplace: offers, the matching run, proposals by state."""
    run: dict[str, Any]
    ledger_breaks: list[str]
    border: dict[str, Any] = field(default_factory=dict)
    """Border-market residents and sales, the statistics and the target report."""
    screening: dict[str, Any] = field(default_factory=dict)
    """The sanctions list imported and the screening queue."""

    def summary(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "firms": len(self.firms),
            "invoices": len(self.invoices),
            "imported": self.imported,
            "barter": self.barter,
            "market": self.market,
            "run": self.run,
            "ledger_verified": not self.ledger_breaks,
            "border": self.border,
            "screening": self.screening,
        }


def build_corridor(
    seed: int, firms_per_country: int = 150, invoices: int = 2400
) -> tuple[tuple[DemoFirm, ...], tuple[DemoInvoice, ...]]:
    """A seeded corridor: firms of both countries and the invoices between them."""
    rng = random.Random(seed)
    firms_: list[DemoFirm] = []
    for country, cities, exports, imports, suffix in (
        ("PK", PAKISTAN_CITIES, PAKISTAN_EXPORTS, IRAN_EXPORTS, "(Pvt) Ltd"),
        ("IR", IRAN_CITIES, IRAN_EXPORTS, PAKISTAN_EXPORTS, "Co."),
    ):
        for number in range(1, firms_per_country + 1):
            role = "exporter" if number % 2 else "importer"
            goods = rng.choice(exports if role == "exporter" else imports)
            kind = "Exports" if role == "exporter" else "Trading"
            name = f"{rng.choice(cities)} {goods} {kind} {suffix}"
            firms_.append(
                DemoFirm(
                    f"{country}-{number:04d}",
                    name,
                    country,
                    tax_id(country, number),
                    role,
                    goods,
                )
            )

    def pick(country: str, role: str, goods: str | None = None) -> DemoFirm:
        pool = [
            f
            for f in firms_
            if f.country == country and f.role == role and (goods is None or f.goods == goods)
        ]
        return rng.choice(pool)

    start = date(2026, 1, 1)
    rows: list[DemoInvoice] = []
    # Invoices of one size distribution; Iran's exports are twice as many.
    kinds = ["pk_export"] * 10 + ["ir_export"] * 10 * IRAN_EXPORT_RATIO
    kinds += ["pk_domestic"] * 8 + ["ir_domestic"] * 8
    for number in range(1, invoices + 1):
        kind = rng.choice(kinds)
        cents = round(rng.lognormvariate(11.0, 1.0) * 100)  # median ≈ $60,000
        currency = "USD"
        if kind == "pk_export":  # an Iranian importer owes a Pakistani exporter
            exporter = pick("PK", "exporter")
            debtor, creditor = pick("IR", "importer", exporter.goods), exporter
        elif kind == "ir_export":  # a Pakistani importer owes an Iranian exporter
            exporter = pick("IR", "exporter")
            debtor, creditor = pick("PK", "importer", exporter.goods), exporter
        else:  # at home, an exporter buys fuel, steel or services from an importer
            country = "PK" if kind == "pk_domestic" else "IR"
            debtor, creditor = pick(country, "exporter"), pick(country, "importer")
            currency, rate = DOMESTIC_CURRENCY[country]
            cents *= rate
        due = start + timedelta(days=rng.randrange(0, 330))
        amount = f"{cents // 100}.{cents % 100:02d}"
        rows.append(DemoInvoice(f"INV-{number:05d}", debtor.id, creditor.id, amount, currency, due))
    return tuple(firms_), tuple(rows)


def write_files(
    folder: Path, firms_: tuple[DemoFirm, ...], invoices: tuple[DemoInvoice, ...]
) -> tuple[Path, Path]:
    firms_path, obligations_path = folder / "firms.csv", folder / "obligations.csv"
    write_csv_atomically(
        firms_path,
        ("id", "name", "country", "tax_id", "active_taxpayer", "psw_subscribed"),
        [
            [f.id for f in firms_],
            [f.name for f in firms_],
            [f.country for f in firms_],
            [f.tax_id for f in firms_],
            ["true" if f.country == "PK" else "false" for f in firms_],
            ["true" if f.country == "PK" else "false" for f in firms_],
        ],
    )
    write_csv_atomically(
        obligations_path,
        ("id", "debtor", "creditor", "amount", "currency", "due_date"),
        [
            [i.id for i in invoices],
            [i.debtor for i in invoices],
            [i.creditor for i in invoices],
            [i.amount for i in invoices],
            [i.currency for i in invoices],
            [i.due_date.isoformat() for i in invoices],
        ],
    )
    return firms_path, obligations_path


def run_demo(engine: Engine, seed: int = 2025, folder: Path = Path("var/demo")) -> DemoRun:
    """Build the corridor in the database, run a clearing run, verify the ledger."""
    firms_, invoices = build_corridor(seed)
    firms_path, obligations_path = write_files(folder, firms_, invoices)
    migrate.upgrade(engine)
    with transaction(engine) as session:
        corridor.seed(session)
        for country, amount in CREDIT_LINES.items():
            corridor.set_credit_line(session, country, amount)
    with transaction(engine) as session:
        read = read_firms(firms_path)
        imported_firms = firms.import_firms(
            session, read.records, DEMO_ACTOR, source=read.source, problems=read.problems
        )
    with transaction(engine) as session:
        rows = read_obligations(obligations_path, corridor.load(session).digits)
        imported_obligations = obligations.import_obligations(
            session, rows.records, DEMO_ACTOR, source=rows.source, problems=rows.problems
        )
    barter_summary = run_barter(engine, folder)
    market_summary = run_market(engine, folder, firms_)
    with transaction(engine) as session:  # a binding ring adds applications
        barter_summary["states"] = _states(jsonable(barter.list_authorizations(session)))
    with transaction(engine) as session:
        run = jsonable(clearing.run_clearing(session, DEMO_ACTOR, DEMO_DAY, today=DEMO_DAY))
    with transaction(engine) as session:
        breaks = list(ledger.verify(session).breaks)
    imported = {"firms": jsonable(imported_firms), "obligations": jsonable(imported_obligations)}
    trade = border_demo(engine, folder)
    screened = screening_demo(engine, folder)
    bank_demo(engine, folder, DEMO_ACTOR)  # bank accounts; the banks' camt files in bank/
    build_consignments(engine, load_policy(), DEMO_DAY)  # trucks at the three crossings
    return DemoRun(
        folder,
        firms_,
        invoices,
        imported,
        barter_summary,
        market_summary,
        run,
        breaks,
        border=trade,
        screening=screened,
    )


UN_LIST = (
    Path(__file__).resolve().parents[3] / "shared/data/sanctions/un-consolidated-2018-10-29.xml"
)
"""The UN Consolidated List beside a clone (``../shared``); else the sample shipped here."""
UN_SAMPLE = Path(__file__).resolve().parent / "data" / "un-sample.xml"
LOOK_ALIKES = (
    ("IR-9001", "Shahid Sayad Shirazi Industrial Co.", "IR", tax_id("IR", 9001)),
    ("IR-9002", "Kavir Zarin Commercial Co.", "IR", "10861234565"),
)
"""Demo firms resembling listed entities, so the queue has hits: UN Iran list IRe.070 by
name; the example Ministry list's Kavir Zarrin by name and registration number."""
FTM_SAMPLE = Path(__file__).resolve().parent / "data" / "ftm-sample.jsonl"


def screening_demo(engine: Engine, folder: Path, un_list: Path | None = None) -> dict[str, Any]:
    """Import the UN list and an example of the Ministry's lists (FollowTheMoney; every
    firm is re-screened), register look-alike firms, which screening blocks, and
    return the lists and the queue of hits."""
    from tahator.formatting import jsonable
    from tahator.io.un_list import read_list
    from tahator.services import list_imports, screening

    source = un_list or (UN_LIST if UN_LIST.exists() else UN_SAMPLE)
    path = folder / "screening-firms.csv"
    path.write_text(
        "id,name,country,tax_id,active_taxpayer,psw_subscribed\n"
        + "".join(f"{i},{n},{c},{t},false,false\n" for i, n, c, t in LOOK_ALIKES)
    )
    with transaction(engine) as session:
        imported = list_imports.import_list(session, read_list("un", source), DEMO_ACTOR)
        ministry = read_list("ftm", FTM_SAMPLE, name="MoFA Pakistan (example)")
        list_imports.import_list(session, ministry, DEMO_ACTOR, new_list=True)
        read = read_firms(path)
        firms.import_firms(
            session, read.records, DEMO_ACTOR, source=read.source, problems=read.problems
        )
        queue = screening.queue(session)
    return {
        "list": jsonable(imported.list),
        "newly_blocked": [f.firm for f in imported.changes.newly_blocked],
        "queue": [{"firm": f.firm, "name": f.name, "hits": jsonable(f.hits[:1])} for f in queue],
    }


MARKET_DAY = date(2026, 11, 23)


def run_market(engine: Engine, folder: Path, firms_: tuple[DemoFirm, ...]) -> dict[str, Any]:
    """Offers, one matching run, and proposals binding, declined and still open.

    Like the barter story, it runs once per database.
    """
    from tahator.formatting import jsonable
    from tahator.io.offers import OFFER_COLUMNS, read_offers
    from tahator.services import offers

    policy = load_policy()
    rows = build_market(firms_, 400)
    path = folder / "offers.csv"
    write_csv_atomically(path, OFFER_COLUMNS, [[r[c] for r in rows] for c in OFFER_COLUMNS])
    with transaction(engine) as session:
        read = read_offers(path, corridor.load(session).digits)
        imported = offers.import_offers(session, read, DEMO_ACTOR, source=path.name)
        first_time = not market.list_proposals(session)
    if first_time:
        with transaction(engine) as session:
            run = market.match(session, policy, DEMO_ACTOR, as_of=MARKET_DAY, today=MARKET_DAY)
        proposals = run.proposals
        if proposals:  # the best ring binds: every firm accepts
            with transaction(engine) as session:
                legs = market.show_proposal(session, proposals[0]).legs
            for leg in legs:
                with transaction(engine) as session:
                    market.accept(session, policy, proposals[0], leg.firm, MARKET_DAY, DEMO_ACTOR)
        if len(proposals) > 1:  # one firm of the next turns it down
            with transaction(engine) as session:
                firm = market.show_proposal(session, proposals[1]).legs[0].firm
                market.decline(session, proposals[1], firm, MARKET_DAY, DEMO_ACTOR)
    with transaction(engine) as session:
        states = _states(jsonable(market.list_proposals(session)))
        first_run = market.matching_run_view(session, 1)
    return {"offers": jsonable(imported), "run": jsonable(first_run), "proposals": states}


def _states(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows are in each ``state``."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    return counts


def _application(story: BarterStory, undertaking: bool) -> dict[str, Any]:
    """The story's application: one line each way, each "HS:qty:unit:USD"."""

    def line(spec: str) -> dict[str, str]:
        hs, quantity, unit, value = spec.split(":")
        return {
            "hs": hs,
            "description": BARTER_GOODS[hs[:4]],
            "quantity": quantity,
            "unit": unit,
            "value": value,
            "currency": "USD",
        }

    return {
        "applicant": story.applicant,
        "counterparty": story.counterparty,
        "partner_country": "IR",
        "imports": [line(story.imports)],
        "exports": [line(story.exports)],
        "valid_from": story.contract[0].isoformat(),
        "valid_until": story.contract[1].isoformat(),
        "origin_declared": True,
        "undertaking": undertaking,
    }


def run_barter(engine: Engine, folder: Path) -> dict[str, Any]:
    """Authorizations in every state under both versions of the order, declarations,
    one sweep, the 2025Q4 report.

    Runs once per database: a demo run again finds its authorizations there.
    """
    policy = load_policy()
    with transaction(engine) as session:
        existing = barter.list_authorizations(session)
    if not existing:
        _barter_story(engine, folder, policy)
    with transaction(engine) as session:
        listed = barter.list_authorizations(session)
        states = _states(jsonable(listed))
        versions: dict[str, int] = {}
        for row in listed:  # the version of the order governing each authorization
            if row.approval_number is not None:
                version = barter.show(session, policy, row.id).policy_version
                versions[version] = versions.get(version, 0) + 1
        report = barter_report.quarterly_report(session, policy, "2025Q4")
    document = report_document(report)
    (folder / "barter-2025Q4.json").write_text(json.dumps(document, indent=2) + "\n")
    rows = [csv_row(row) for row in barter_report.report_rows(report)]
    write_csv_atomically(
        folder / "barter-2025Q4.csv",
        REPORT_CSV_HEADER,
        [list(column) for column in zip(*rows, strict=True)],
    )
    return {"states": states, "versions": versions, "report": document}


def _barter_story(engine: Engine, folder: Path, policy: Policy) -> None:
    from tahator.io.declarations import declaration_record

    applications = folder / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    with transaction(engine) as session:
        firms.create_consortium(
            session,
            CONSORTIUM,
            "Sialkot–Multan Kinnow Consortium",
            "PK-0003",
            ["PK-0011"],
            DEMO_ACTOR,
        )
    for number, story in enumerate(BARTER_STORIES, 1):
        path = applications / f"application-{number}.json"
        # The undertaking for the foreign partner is given where the order asks for it.
        undertaking = policy.rules_on(story.submitted).undertaking_required
        path.write_text(json.dumps(_application(story, undertaking), indent=2))
        with transaction(engine) as session:
            record = read_application(path, corridor.load(session).digits)
            authorization_id = barter.submit(
                session, policy, record, DEMO_ACTOR, str(path), as_of=story.submitted
            ).id
        if story.decided is None:
            continue
        with transaction(engine) as session:
            if story.state == "rejected":
                reason = "contract copy missing"
                barter.reject(
                    session, policy, authorization_id, reason, "customs", as_of=story.decided
                )
                continue
            barter.authorize(session, policy, authorization_id, story.decided, "customs")
        for direction, quantity, value, days in story.declarations:
            hs, _, unit, _ = (story.imports if direction == "import" else story.exports).split(":")
            with transaction(engine) as session:
                declared, problems = declaration_record(
                    direction=direction,
                    hs=hs,
                    quantity=quantity,
                    unit=unit,
                    value=value,
                    currency="USD",
                    on=story.decided + timedelta(days=days),
                    reference=None,
                    digits=corridor.load(session).digits,
                )
                barter.declare(
                    session, policy, authorization_id, declared, actor="customs", problems=problems
                )
    with transaction(engine) as session:
        barter.sweep(session, policy, BARTER_SWEEP, "customs")


def build_market(
    firms_: tuple[DemoFirm, ...], offers: int, seed: int = 7, valid_until: date = date(2026, 12, 31)
) -> list[dict[str, str]]:
    """A seeded marketplace: each firm offers its country's goods for the other's.

    Pakistani firms mostly want Iranian goods and Iranian firms Pakistani ones;
    one want in five is for goods of the firm's own country, so rings of three
    can pass through two firms of one country.  Values spread log-normally, so an
    offer meets only the few whose value is within the tolerance of its own.
    """
    rng = random.Random(seed)
    rows = []
    for number in range(1, offers + 1):
        firm = rng.choice(firms_)
        own, other = (
            (PAKISTAN_GOODS, IRAN_GOODS) if firm.country == "PK" else (IRAN_GOODS, PAKISTAN_GOODS)
        )
        hs = rng.choice(sorted(own))
        description, unit = own[hs]
        wanted = rng.sample(sorted(other), rng.randint(1, 3))
        if rng.random() < 0.2:
            wanted.append(rng.choice(sorted(own)))
        value = rng.lognormvariate(math.log(MEDIAN_OFFER), 0.8)
        unit_price = 1.0 if unit == "kg" else 600.0
        rows.append(
            {
                "id": f"OF-{number:05d}",
                "firm": firm.id,
                "gives_hs": hs,
                "description": description,
                "quantity": f"{value / unit_price:.0f}",
                "unit": unit,
                "value": f"{value:.2f}",
                "currency": "USD",
                "wants_hs": "|".join(sorted({w[:4] for w in wanted})),
                "valid_until": valid_until.isoformat(),
            }
        )
    return rows


BORDER_MONTH = date(2026, 10, 1)


def border_demo(engine: Engine, folder: Path, month: date = BORDER_MONTH) -> dict[str, Any]:
    """Residents and a month of sales at Mand–Pishin (some refused by their quotas), the
    illustrative statistics baseline, and the target report in ``folder``.

    Sales carry receipt numbers, so running it again records nothing twice.
    """
    policy = load_trade_policy()
    rng = random.Random(11)
    residents = border_residents()
    with transaction(engine) as session:
        for national_id, name, district in residents:
            border.add_resident(
                session,
                policy,
                market="MAND-PISHIN",
                national_id=national_id,
                name=name,
                district=district,
                actor=DEMO_ACTOR,
            )
    mand = policy.market("MAND-PISHIN")
    assert mand is not None
    recorded = retried = 0
    refused: dict[str, int] = {}
    day, number = month, 0
    with transaction(engine) as session:
        while day.month == month.month:
            if mand.closed_reason(day) is None:
                for national_id, _, _ in residents:
                    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
                        number += 1
                        usd = rng.lognormvariate(math.log(75), 0.7)
                        value, currency = (
                            (f"{usd * 281:.2f}", "PKR")
                            if rng.random() < 0.5
                            else (f"{usd:.2f}", "USD")
                        )
                        try:
                            record, problems = sale_record(
                                market="MAND-PISHIN",
                                resident=national_id,
                                hs=rng.choice(BORDER_GOODS),
                                value=value,
                                currency=currency,
                                on=day,
                                reference=f"MP-{day:%Y%m%d}-{number:04d}",
                                digits=corridor.load(session).digits,
                            )
                            view = border.sell(
                                session, policy, record, actor=DEMO_ACTOR, problems=problems
                            )
                        except border.QuotaExceededError as error:
                            quota = str(error.breach.quota)
                            refused[quota] = refused.get(quota, 0) + 1
                            continue
                        if view.created:
                            recorded += 1
                        else:
                            retried += 1
            day += timedelta(days=1)
    with transaction(engine) as session:
        imported = stats.import_statistics(session, read_comtrade(SAMPLE), DEMO_ACTOR)
    with transaction(engine) as session:
        report = stats.target_report(session, policy)
        totals = border.daily_totals(session, "MAND-PISHIN")
    written = []
    for output_format in ("csv", "xlsx", "html", "png"):
        path = folder / f"target.{output_format}"
        try:
            write_target_report(report, output_format, path)
        except ChartError:
            continue  # no Chromium here: the HTML carries the same chart
        written.append(str(path))
    return {
        "residents": len(residents),
        "sales": {"recorded": recorded, "already_recorded": retried, "refused": refused},
        "market_days": len(totals),
        "statistics": jsonable(imported),
        "target": jsonable(report.status),
        "files": written,
    }
