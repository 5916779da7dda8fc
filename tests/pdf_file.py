"""What the tests read of a PDF without a PDF library: its page objects and its
document information (title, subject), from the objects inflated."""

from __future__ import annotations

import re
import zlib

STREAM = re.compile(rb"stream\r?\n")
PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
ENTRY = re.compile(rb"/(Title|Subject|Author|CreationDate)\s*(\((?:[^()\\]|\\.)*\)|<[0-9A-Fa-f]*>)")


def pdf_objects(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream (object streams too) inflated after it."""
    parts = [data]
    for match in STREAM.finditer(data):
        try:
            parts.append(zlib.decompressobj().decompress(data[match.end() :]))
        except zlib.error:
            continue  # not a Flate stream
    return b"\n".join(parts)


def pdf_pages(data: bytes) -> int:
    """How many page objects the PDF holds."""
    return len(PAGE.findall(pdf_objects(data)))


def _text(token: bytes) -> str:
    if token.startswith(b"<"):
        raw = bytes.fromhex(token[1:-1].decode())
        return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
    return re.sub(rb"\\(.)", rb"\1", token[1:-1]).decode("latin-1")


def pdf_info(data: bytes) -> dict[str, str]:
    """The document information dictionary (the one naming its producer)."""
    objects = pdf_objects(data)
    at = objects.find(b"/Producer")
    assert at >= 0, "no document information"
    start, end = objects.rfind(b"<<", 0, at), objects.find(b">>", at)
    return {k.decode(): _text(v) for k, v in ENTRY.findall(objects[start:end])}
