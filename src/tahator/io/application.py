"""A barter application as a JSON document: read it, check its form, make the record.

The form is checked here (types, dates, decimal strings, corridor currencies);
the barter order's rules are the domain's (``domain.barter.application_problems``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from tahator.domain.barter import Application, GoodsLine, parse_quantity
from tahator.domain.corridor import FIRST_DAY, parse_day
from tahator.domain.errors import InputError, Problem
from tahator.domain.local_text import latin_digits
from tahator.domain.money import parse_money

MAX_APPLICATION_BYTES = 1_000_000


def read_document(path: Path) -> dict[str, object]:
    """The JSON object in ``path``; ``InputError`` for unreadable or malformed files."""
    label = str(path)
    try:
        if path.stat().st_size > MAX_APPLICATION_BYTES:
            raise InputError([Problem(f"larger than {MAX_APPLICATION_BYTES} bytes", label)])
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as error:
        raise InputError([Problem(f"cannot read the file: {error.strerror}", label)]) from error
    except UnicodeDecodeError as error:
        raise InputError([Problem("is not UTF-8 text", label)]) from error
    except json.JSONDecodeError as error:
        raise InputError(
            [Problem(f"not valid JSON: {error.msg} (column {error.colno})", label, error.lineno)]
        ) from error
    except RecursionError as error:
        raise InputError([Problem("nested too deeply to be an application", label)]) from error
    if not isinstance(data, dict):
        raise InputError([Problem("must be a JSON object", label)])
    return {str(key): value for key, value in data.items()}


def read_application(path: Path, digits: Mapping[str, int]) -> Application:
    """The application in the JSON file ``path``; ``InputError`` names every bad field."""
    return parse_application(read_document(path), digits, str(path))


def parse_application(
    data: Mapping[str, object],
    digits: Mapping[str, int],
    label: str = "application",
    read_day: Callable[[str], date] = parse_day,
) -> Application:
    """An ``Application`` from its JSON form; ``InputError`` names every bad field.
    Dates are read by ``read_day`` (a web form's reads Solar Hijri too)."""
    application, problems = check_application(data, digits, label, read_day)
    if problems:
        raise InputError(problems)
    return application


def check_application(
    data: Mapping[str, object],
    digits: Mapping[str, int],
    label: str = "application",
    read_day: Callable[[str], date] = parse_day,
) -> tuple[Application, list[Problem]]:
    """The application read from its JSON form, and every problem with that form.

    ``digits`` are the corridor's currencies and their minor-unit digits; a
    field with a problem is read as empty, so the record is only of use when
    there are none.
    """
    problems: list[Problem] = []

    def text(key: str, where: Mapping[str, object], path: str) -> str:
        value = where.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem("must be a non-empty string", label, field=path))
            return ""
        return value.strip()

    def day(key: str) -> date:
        value = text(key, data, key)
        try:
            return read_day(value)
        except ValueError as error:
            if value:
                problems.append(Problem(str(error), label, field=key))
            return FIRST_DAY

    def line(item: Mapping[str, object], path: str) -> GoodsLine:
        currency = text("currency", item, f"{path}.currency").upper()
        try:
            quantity = parse_quantity(str(item.get("quantity")))
        except ValueError as error:
            problems.append(Problem(str(error), label, field=f"{path}.quantity"))
            quantity = Decimal(0)
        value = 0
        raw = item.get("value")
        if currency and currency not in digits:
            problems.append(
                Problem(f"{currency!r} is not a corridor currency", label, field=f"{path}.currency")
            )
        elif not isinstance(raw, str):
            problems.append(Problem("must be a decimal string", label, field=f"{path}.value"))
        elif currency:
            try:
                value = parse_money(raw, currency, digits[currency])
            except ValueError as error:
                problems.append(Problem(str(error), label, field=f"{path}.value"))
        return GoodsLine(
            latin_digits(text("hs", item, f"{path}.hs")),  # as typed on a Persian keyboard
            str(item.get("description", "")),
            quantity,
            text("unit", item, f"{path}.unit"),
            value,
            currency,
        )

    def lines(key: str) -> tuple[GoodsLine, ...]:
        items = data.get(key)
        if not isinstance(items, list):
            problems.append(Problem("must be a list of goods lines", label, field=key))
            return ()
        parsed = []
        for number, item in enumerate(items, start=1):
            path = f"{key}[{number}]"
            if not isinstance(item, dict):
                problems.append(Problem("must be an object", label, field=path))
                continue
            parsed.append(line(item, path))
        return tuple(parsed)

    reference = data.get("reference")
    if reference is not None and not (isinstance(reference, str) and 0 < len(reference) <= 100):
        problems.append(
            Problem("must be a string of 1 to 100 characters", label, field="reference")
        )
        reference = None
    origin = data.get("origin_declared")
    if not isinstance(origin, bool):
        problems.append(Problem("must be true or false", label, field="origin_declared"))
    undertaking = data.get("undertaking", False)
    if not isinstance(undertaking, bool):
        problems.append(Problem("must be true or false", label, field="undertaking"))
    application = Application(
        applicant_id=text("applicant", data, "applicant"),
        counterparty_id=text("counterparty", data, "counterparty"),
        partner_country=text("partner_country", data, "partner_country").upper(),
        imports=lines("imports"),
        exports=lines("exports"),
        valid_from=day("valid_from"),
        valid_until=day("valid_until"),
        origin_declared=origin is True,
        reference=reference if isinstance(reference, str) else None,
        undertaking=undertaking is True,
    )
    return application, problems
