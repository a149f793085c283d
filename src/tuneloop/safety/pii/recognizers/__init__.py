"""The built-in recognizers, one module per entity family.

Each is precision-minded: travel text is full of numbers (prices ``15,000원``, years ``2026년``,
opening hours ``09:00-18:00``, bus numbers ``7016번``, exits ``3번 출구``) that must not be taken
for personal information. Each also returns early when the text cannot contain its entity (no
digit, no ``@``, no cue word), which is where most of the scanner's speed comes from.
"""

from __future__ import annotations

from tuneloop.safety.pii.recognizers.address import AddressRecognizer
from tuneloop.safety.pii.recognizers.bank_account import BankAccountRecognizer
from tuneloop.safety.pii.recognizers.card import CardRecognizer
from tuneloop.safety.pii.recognizers.driver_license import DriverLicenseRecognizer
from tuneloop.safety.pii.recognizers.email import EmailRecognizer
from tuneloop.safety.pii.recognizers.ip_address import IpAddressRecognizer
from tuneloop.safety.pii.recognizers.passport import PassportRecognizer
from tuneloop.safety.pii.recognizers.person import PersonRecognizer
from tuneloop.safety.pii.recognizers.phone import PhoneRecognizer
from tuneloop.safety.pii.recognizers.rrn import ResidentNumberRecognizer
from tuneloop.safety.pii.recognizers.us_ssn import UsSsnRecognizer
from tuneloop.safety.pii.types import PiiRecognizer

__all__ = [
    "AddressRecognizer",
    "BankAccountRecognizer",
    "CardRecognizer",
    "DriverLicenseRecognizer",
    "EmailRecognizer",
    "IpAddressRecognizer",
    "PassportRecognizer",
    "PersonRecognizer",
    "PhoneRecognizer",
    "ResidentNumberRecognizer",
    "UsSsnRecognizer",
    "builtin_recognizers",
]


def builtin_recognizers() -> list[PiiRecognizer]:
    """A fresh instance of every built-in recognizer (what the default plugin registers)."""
    return [
        ResidentNumberRecognizer(),
        PhoneRecognizer(),
        CardRecognizer(),
        BankAccountRecognizer(),
        EmailRecognizer(),
        PassportRecognizer(),
        DriverLicenseRecognizer(),
        UsSsnRecognizer(),
        IpAddressRecognizer(),
        AddressRecognizer(),
        PersonRecognizer(),
    ]
