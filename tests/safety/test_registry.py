"""Recognizers come from the ``register_pii_recognizers`` plugin hook, built-ins included."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from tuneloop.hookspecs import hookimpl
from tuneloop.plugins import plugin_manager
from tuneloop.safety.pii import PiiFinding, PiiRecognizer, PiiScanner, known_entities
from tuneloop.safety.pii import pii_recognizers as registered


class BookingCode:
    """A third-party recognizer: booking codes like TRV-2026-ABCD."""

    name = "booking_code"
    entities = ("BOOKING_CODE",)
    _pattern = re.compile(r"TRV-\d{4}-[A-Z]{4}")

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        for m in self._pattern.finditer(text):
            yield PiiFinding("BOOKING_CODE", m.start(), m.end(), 0.9, self.name, m.group())


class QuietEmail:
    """Replaces the built-in ``email`` recognizer by registering the same name."""

    name = "email"
    entities = ("EMAIL",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        return iter(())


class Plugin:
    def __init__(self, *recognizers: PiiRecognizer) -> None:
        self.recognizers = recognizers

    @hookimpl
    def register_pii_recognizers(self, register: Callable[[PiiRecognizer], None]) -> None:
        for recognizer in self.recognizers:
            register(recognizer)


def test_builtins_are_registered_through_the_hook() -> None:
    names = set(registered())
    assert {"kr_rrn", "phone", "card", "bank_account", "email", "person", "address"} <= names
    assert {"KR_RRN", "KR_FRN", "PHONE", "PERSON", "ADDRESS"} <= set(known_entities())


def test_a_plugin_recognizer_is_used_by_the_default_scanner() -> None:
    plugin = Plugin(BookingCode())
    plugin_manager().register(plugin, name="test-booking-code")
    try:
        scanner = PiiScanner.default()
        result = scanner.redact("예약 코드 TRV-2026-ABCD, 연락처 010-1234-5678")
        assert result.text == "예약 코드 <BOOKING_CODE>, 연락처 <PHONE>"
        assert PiiScanner.default(entities=["BOOKING_CODE"]).contains_pii("TRV-2026-WXYZ")
    finally:
        plugin_manager().unregister(name="test-booking-code")
    assert "booking_code" not in registered()


def test_a_plugin_replaces_a_builtin_of_the_same_name() -> None:
    plugin_manager().register(Plugin(QuietEmail()), name="test-quiet-email")
    try:
        assert isinstance(registered()["email"], QuietEmail)
        assert not PiiScanner.default().contains_pii("hong@example.com")
    finally:
        plugin_manager().unregister(name="test-quiet-email")
    assert PiiScanner.default().contains_pii("hong@example.com")
