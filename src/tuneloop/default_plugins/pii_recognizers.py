"""The built-in PII recognizers (Korean and English), registered through the same hook a
third-party package would use; an installed plugin's recognizer of the same name replaces one
(:func:`tuneloop.plugins.collect`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tuneloop.hookspecs import hookimpl

if TYPE_CHECKING:
    from tuneloop.safety.pii import PiiRecognizer


@hookimpl
def register_pii_recognizers(register: Callable[[PiiRecognizer], None]) -> None:
    from tuneloop.safety.pii.recognizers import builtin_recognizers

    for recognizer in builtin_recognizers():
        register(recognizer)
