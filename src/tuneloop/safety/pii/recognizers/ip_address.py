"""IPv4 addresses (``IP_ADDRESS``): four dotted octets 0–255, not part of a longer dotted run
(so version strings like ``1.2.3.4.5`` are skipped)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tuneloop.safety.pii.types import PiiFinding

__all__ = ["IpAddressRecognizer"]

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_PREFILTER = re.compile(r"\d\.\d")
_IP = re.compile(rf"(?<![0-9A-Za-z.]){_OCTET}(?:\.{_OCTET}){{3}}(?![0-9A-Za-z])(?!\.\d)")


class IpAddressRecognizer:
    name = "ip_address"
    entities: tuple[str, ...] = ("IP_ADDRESS",)

    def analyze(self, text: str) -> Iterator[PiiFinding]:
        if _PREFILTER.search(text) is None:
            return
        for match in _IP.finditer(text):
            yield PiiFinding(
                "IP_ADDRESS", match.start(), match.end(), 0.6, self.name, match.group()
            )
