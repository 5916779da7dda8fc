"""Readable summaries for the terminal (Rich)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from tahator.demo import DemoRun


def grouped(amount: str) -> str:
    """A decimal string with thousands separators: 1234567.50 → 1,234,567.50."""
    whole, point, fraction = amount.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{point}{fraction}"


def print_clearing_summary(
    summary: dict[str, Any],
    output: Path | None = None,
    settlement_output: Path | None = None,
    console: Console | None = None,
) -> None:
    console = console or Console()
    table = Table(title="Multilateral set-off", show_header=False, title_justify="left")
    table.add_column(justify="left")
    table.add_column(justify="right")
    table.add_row("obligations", f"{summary['obligations']:,}")
    table.add_row("firms", f"{summary['firms']:,}")
    table.add_row("total debt", grouped(summary["total"]))
    table.add_row("set off", grouped(summary["cleared"]))
    table.add_row("share set off", f"{summary['cleared_share']:.4%}")
    table.add_row("remaining", grouped(summary["remainder"]))
    table.add_row("net internal debt (floor)", grouped(summary["net_internal_debt"]))
    table.add_row("pairs on cycles", f"{summary['pairs_on_cycles']:,} of {summary['pairs']:,}")
    table.add_row("seconds", f"{summary['seconds']:.3f}")
    console.print(table)
    if "settlement" in summary:
        print_settlement(summary["settlement"], console)
    for label, path in (("set-offs", output), ("settlement instructions", settlement_output)):
        if path is not None:
            console.print(f"{label} written to {path}")


def print_settlement(settlement: dict[str, Any], console: Console) -> None:
    accounts = settlement["accounts"]
    table = Table(title="Settlement through clearing accounts", title_justify="left")
    table.add_column("clearing account")
    for account in accounts:
        table.add_column(account["country"], justify="right")
    for label, key in (
        ("collected from debtors", "collected"),
        ("owed to creditors", "claims"),
        ("paid out", "paid_out"),
        ("credit line", "credit_line"),
        ("credit drawn", "credit_drawn"),
        ("retained for other accounts", "retained"),
        ("unpaid, rolls over", "unpaid"),
    ):
        table.add_row(label, *(grouped(account[key]) for account in accounts))
    console.print(table)
    for imbalance in settlement["imbalances"]:
        console.print(
            f"imbalance: {imbalance['debtor_country']}'s account owes "
            f"{imbalance['creditor_country']}'s {grouped(imbalance['amount'])}"
        )
    console.print(
        f"{settlement['collections']:,} collections, {settlement['payouts']:,} payouts; "
        f"{grouped(settlement['domestic'])} owed between firms of one country "
        f"({settlement['domestic_obligations']:,} obligations) settles directly"
    )


def print_demo(run: DemoRun, console: Console | None = None) -> None:
    console = console or Console()
    pk = sum(1 for f in run.firms if f.country == "PK")
    console.print(
        f"[bold]Pakistan–Iran demo corridor[/]: {pk} Pakistani and "
        f"{len(run.firms) - pk} Iranian firms, {len(run.invoices):,} invoices "
        f"(cross-border in USD, domestic in PKR and IRR); files in {run.folder}/"
    )
    for what, counts in run.imported.items():
        console.print(
            f"{what}: {counts['created']:,} registered, {counts['unchanged']:,} already there"
        )
    states = ", ".join(f"{count} {state}" for state, count in sorted(run.barter["states"].items()))
    report = run.barter["report"]
    console.print(
        f"barter authorizations: {states}; quarterly report {report['quarter']}: "
        f"{report['authorizations_issued']} issued, {report['balanced']} balanced, "
        f"{report['cancelled']} cancelled, {report['outstanding']} outstanding, "
        f"{len(report['flagged'])} declarations flagged (files in {run.folder}/barter-*)"
    )
    matching = run.market["run"]
    proposals = ", ".join(f"{n} {state}" for state, n in sorted(run.market["proposals"].items()))
    console.print(
        f"barter marketplace: {matching['offers']} offers, {matching['rings']} rings worth "
        f"{grouped(matching['value'])} USD "
        f"({'proven optimal' if matching['optimal'] else 'bound ' + matching['bound']}); "
        f"proposals: {proposals}"
    )
    print_run(run.run, console)
    if run.ledger_breaks:
        console.print("[red]ledger verify found breaks:[/]")
        for line in run.ledger_breaks:
            console.print(f"  {line}")
    else:
        console.print("ledger verified: every entry balances and every balance matches")
    if run.border:
        _print_border(run.border, console)
    if run.screening:
        listed = run.screening["list"]
        console.print(
            f"sanctions screening: {listed['format'].upper()} list version {listed['version']} "
            f"({listed['entries']} entries); {len(run.screening['queue'])} firms await a decision: "
            + ", ".join(
                f"{f['firm']} ({f['name']}) ~ {f['hits'][0]['name']} {f['hits'][0]['score']}"
                for f in run.screening["queue"]
                if f["hits"]
            )
        )
    console.print(
        "Explore: tahator obligations list, tahator clearing show "
        f"{run.run['run_id']}, tahator ledger balances, tahator settlement list, "
        "tahator barter list, tahator barter show 1, tahator report barter --quarter 2025Q4, "
        "tahator offers list, tahator proposals list, tahator screening queue, "
        "tahator screen NAME"
    )


def print_run(summary: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    unit = summary["unit_of_account"]
    table = Table(
        title=f"Clearing run {summary['run_id']} ({summary['status']}, as of {summary['as_of']})",
        show_header=False,
        title_justify="left",
    )
    table.add_column()
    table.add_column(justify="right")
    table.add_row("obligations", f"{summary['obligations']:,}")
    if summary.get("cutoff_at"):  # a scheduled run read what was filed by its cut-off
        table.add_row("filed by", str(summary["cutoff_at"]))
    table.add_row(f"total debt ({unit})", grouped(summary["total"]))
    table.add_row(f"set off ({unit})", grouped(summary["cleared"]))
    table.add_row("share set off", f"{summary['cleared_share']:.4%}")
    table.add_row(f"remaining ({unit})", grouped(summary["remainder"]))
    console.print(table)
    if summary.get("settlement", {}).get("accounts"):
        print_settlement(summary["settlement"], console)


def _print_border(border: dict[str, Any], console: Any) -> None:
    sales = border["sales"]
    refused = ", ".join(f"{n} over the {q} quota" for q, n in sorted(sales["refused"].items()))
    console.print(
        f"border market Mand–Pishin: {border['residents']} residents, "
        f"{sales['recorded'] + sales['already_recorded']} sales on {border['market_days']} days"
        + (f"; refused {refused}" if refused else "")
    )
    target = border["target"]
    if target["run_rate"] is not None:
        console.print(
            f"trade target: run rate {grouped(target['run_rate'])} USD at {target['as_of']} "
            f"against {grouped(target['target'])} USD by {target['target_date']}; "
            f"needs {target['needed_monthly_growth']} growth a month "
            f"(official statistics illustrative); report in {', '.join(border['files'])}"
        )
