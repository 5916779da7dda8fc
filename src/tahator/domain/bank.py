"""Bank identifiers as ISO 20022 files carry them (DESIGN §8).

An account is an IBAN (ISO 13616: Pakistan's 24 characters, Iran's 26) in the
country of its holder, with the bank's BIC (ISO 9362) where known.  A collection is
paid quoting a structured creditor reference (ISO 11649, ``RF`` + two check digits +
up to 21 characters) that names its run and instruction, so a bank's statement line
can be matched to it without reading free text; a payout leaves with an end-to-end id
that names the same.  Pure: schwifty and python-stdnum only compute.
"""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from tahator.domain.errors import InputError, Problem

_SPACES = re.compile(r"[\s\u00a0\u200c\u200d\u200e\u200f\u2066-\u2069-]+")


def iban(text: str, country: str, field: str = "iban") -> str:
    """``text`` as a compact, checked IBAN of ``country`` (``PK``, ``IR``), or an
    ``InputError`` saying why not: length, check digits, structure or country."""
    compact = _SPACES.sub("", text).upper()
    if not compact:
        raise InputError([Problem("an IBAN is required", field=field)]) from None
    try:
        checked = IBAN(compact)
    except SchwiftyException as error:
        raise InputError(
            [Problem(f"{compact} is not a valid IBAN: {error}", field=field)]
        ) from None
    if checked.country_code != country:
        raise InputError(
            [
                Problem(
                    f"{compact} is an IBAN of {checked.country_code}; the account must be "
                    f"in {country}, where its holder is",
                    field=field,
                )
            ]
        )
    return str(checked.compact)


def bic(text: str, country: str, field: str = "bic") -> str | None:
    """``text`` as a checked BIC of a bank in ``country``; ``None`` for an empty text
    (a BIC is optional: the IBAN alone routes a domestic payment)."""
    compact = _SPACES.sub("", text).upper()
    if not compact:
        return None
    try:
        checked = BIC(compact)
    except SchwiftyException as error:
        raise InputError([Problem(f"{compact} is not a valid BIC: {error}", field=field)]) from None
    if checked.country_code != country:
        raise InputError(
            [
                Problem(
                    f"{compact} is a BIC of a bank in {checked.country_code}, not {country}",
                    field=field,
                )
            ]
        )
    return str(checked.compact)


def creditor_reference(run_id: int, instruction_id: int) -> str:
    """The ISO 11649 reference a debtor quotes when paying collection
    ``instruction_id`` of run ``run_id``: ``RF`` + check digits + ``TAH<run>C<id>``."""
    body = f"TAH{run_id}C{instruction_id}"
    if len(body) > 21:
        raise ValueError(f"run {run_id} instruction {instruction_id}: reference too long")
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


def end_to_end_id(run_id: int, instruction_id: int) -> str:
    """The end-to-end id a payout of run ``run_id`` leaves with (ISO 20022 Max35Text)."""
    return f"TAH-{run_id}-{instruction_id}"


# ASCII digits only, no leading zeros: each instruction has one spelling of its
# reference, as the files carry it (``RF۵۳…`` or ``TAH-001-217`` are not references).
_REFERENCE = re.compile(r"RF[0-9]{2}TAH([1-9][0-9]{0,16})C([1-9][0-9]{0,16})")
_END_TO_END = re.compile(r"TAH-([1-9][0-9]{0,8})-([1-9][0-9]{0,11})")


def instruction_of_reference(text: str) -> tuple[int, int] | None:
    """The (run, instruction) a creditor reference names, or ``None`` if ``text`` is not
    one of Tahator's references or its check digits are wrong (a mistyped reference
    must not match another instruction)."""
    compact = _SPACES.sub("", text).upper()
    found = _REFERENCE.fullmatch(compact)
    if found is None or not iso11649.is_valid(compact):
        return None
    return int(found[1]), int(found[2])


def instruction_of_end_to_end_id(text: str) -> tuple[int, int] | None:
    """The (run, instruction) a payout's end-to-end id names, or ``None``."""
    found = _END_TO_END.fullmatch(text.strip())
    return None if found is None else (int(found[1]), int(found[2]))


def references_in(text: str) -> list[str]:
    """The creditor references found in free text (a statement's unstructured
    remittance information, where some banks put what the debtor typed), whole or in
    the groups of four it is printed in (``RF71 TAH1 C3``)."""
    words = [w for w in re.split(r"[\s/;,:()]+", text.upper()) if w]
    found: list[str] = []
    for start in range(len(words)):
        for end in range(start + 1, min(start + 8, len(words)) + 1):
            joined = "".join(words[start:end])
            if len(joined) > 25:
                break
            if instruction_of_reference(joined) is not None:
                found.append(joined)
                break
    return found
