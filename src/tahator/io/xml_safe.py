"""XML from outside (a bank's camt file, the UN list) read safely: DTDs, entities and
external references refused (defusedxml: no billion laughs, no external entities), and
every way the parser can fail an ``InputError``, never a traceback."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from tahator.domain.errors import InputError, Problem


def parse(content: bytes, what: str, label: str = "") -> Element:
    """The root element of ``content``; ``what`` names the file expected in the error
    (``a camt file``), ``label`` where it came from (a file name) for the problem."""
    try:
        root: Element = fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise InputError(
            [Problem(f"refused: unsafe XML, a DTD or entities ({type(error).__name__})", label)]
        ) from None
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        raise InputError(
            [Problem(f"not well-formed XML: not {what} ({error})", label, line)]
        ) from None
    except (LookupError, ValueError) as error:
        # An XML declaration naming an encoding Python does not know, or one expat cannot
        # read (found by atheris: ``encoding="UTF-4"`` escaped as a LookupError and
        # ``"UTF-7"`` as a ValueError, each a traceback and a 500).
        raise InputError([Problem(f"not readable XML: not {what} ({error})", label)]) from None
    return root
