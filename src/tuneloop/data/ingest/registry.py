"""Which readers exist and which one takes a file.

Readers come from plugins through the ``register_readers`` hook (the built-ins too, from
:mod:`tuneloop.default_plugins.readers`); :func:`tuneloop.plugins.collect` applies the one
precedence rule: a third-party reader with the same ``name`` replaces a built-in and keeps its
place; a new name goes to the end.
"""

from __future__ import annotations

from pathlib import Path

from tuneloop.data.ingest.base import Reader
from tuneloop.errors import DataError

__all__ = ["pick_reader", "readers"]


def readers() -> dict[str, Reader]:
    """The registered readers by name, in registration order."""
    from tuneloop.plugins import collect

    found: dict[str, Reader] = collect("register_readers", key=lambda reader: reader.name)
    return found


def _formats(registry: dict[str, Reader]) -> str:
    return ", ".join(
        f"{r.name} ({' '.join(r.suffixes)})" if r.suffixes else r.name for r in registry.values()
    )


def pick_reader(
    path: Path, head: bytes, registry: dict[str, Reader], fmt: str | None = None
) -> Reader | str:
    """The reader for ``path`` (whose first bytes are ``head``), or why there is none.

    ``fmt`` forces a reader by name. Otherwise the readers listing the file's suffix are asked
    to ``sniff`` it, most recently registered first, and the first that says yes takes it.
    """
    if fmt:
        if fmt not in registry:
            raise DataError(
                f"unknown format {fmt!r}.",
                hint=f"Use one of: {', '.join(registry)} (see `tuneloop data formats`).",
            )
        return registry[fmt]
    suffix = path.suffix.lower()
    candidates = [r for r in registry.values() if suffix and suffix in r.suffixes]
    for reader in reversed(candidates):
        if reader.sniff(path, head):
            return reader
    if candidates:
        return (
            f"no reader recognises this {suffix} file "
            f"(tried {', '.join(r.name for r in candidates)}; force one with --format)"
        )
    what = suffix or "files without a suffix"
    return f"no reader for {what} (formats: {_formats(registry)})"
