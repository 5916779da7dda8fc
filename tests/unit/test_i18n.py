"""Which language a request is answered in (``tahator.i18n``)."""

from __future__ import annotations

import pytest

from tahator import i18n
from tahator.web.language import reader_of


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fa-IR,fa;q=0.9,en;q=0.5", "fa"),
        ("de-DE, ur;q=0.3, en;q=0.2", "ur"),
        ("en;q=0.1, fa;q=0", "en"),
        ("de, fr", None),
        ("", None),
        (None, None),
        ("fa;q=abc, ur", "ur"),
        (";;;,,,q=1", None),
    ],
)
def test_accept_language_is_negotiated(header: str | None, expected: str | None) -> None:
    assert i18n.negotiate(header) == expected


def test_a_cookie_beats_the_browser_and_bad_values_fall_back() -> None:
    assert reader_of({"tahator_lang": "ur"}, "fa").language == "ur"
    assert reader_of({"tahator_lang": "xx"}, "fa").language == "fa"
    assert reader_of({}, None).language == "en"
    assert reader_of({"tahator_zone": "Asia/Tehran"}, None).zone == "Asia/Tehran"
    assert reader_of({"tahator_zone": "Mars/Olympus"}, None).zone == i18n.DEFAULT_ZONE
    assert reader_of({"tahator_toman": "1"}, None).toman


def test_speaking_is_scoped_and_unknown_languages_are_english() -> None:
    with i18n.speaking("fa"):
        assert (i18n.language(), i18n.direction()) == ("fa", "rtl")
        with i18n.speaking("klingon"):
            assert i18n.language() == "en"
    assert i18n.language() == "en"
    assert i18n.direction("ur") == "rtl"
