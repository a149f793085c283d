"""Safety checks on data and outputs: personal information (PII) detection and redaction.

Why its own component: the data stage must keep personal information out of training files
(a fine-tuned model can repeat what it was trained on), post-processing must keep it out of
answers, and the CLI must let a person check a file before it leaves the machine. All three use
:mod:`tuneloop.safety.pii`. So ``safety`` sits below ``data`` and never imports it (scanning record
files is :mod:`tuneloop.data.pii_files`).
"""

from __future__ import annotations

__all__: list[str] = []
