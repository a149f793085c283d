"""References to versioned things, and to data: the one parser every command, file and route uses.

Why one parser: prompts, datasets and models are referred to the same way on the command line, in
suite and train files and in the server, so the syntax and its error (:class:`BadReference`, one
code and exit status whatever the kind) must be the same everywhere.

Version references (:func:`parse_ref`)::

    seoul-guide              the newest version        seoul-guide@latest   the same
    seoul-guide@3            version 3                 seoul-guide@v3       the same
    seoul-guide@production   whatever the alias production points at

Data references (:func:`parse_data_ref`) — what training data, eval cases and data commands read::

    seoul-qa@3:train          split "train" of version 3 of dataset seoul-qa
    seoul-qa@production:test  split "test" of the version the dataset alias production names
    seoul-qa:test             split "test" of the newest version
    seoul-qa@3                the only split of version 3 (an error later if it has several)
    file-abc123…              an uploaded file (``POST /v1/files``)
    work/clean.jsonl          a file on disk: anything that exists, or contains a path separator,
                              or has neither ``@`` nor ``:``
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tuneloop.errors import BadReference
from tuneloop.store.files import FILE_ID_PREFIX

__all__ = [
    "ALIAS_PATTERN",
    "LATEST",
    "NAME_PATTERN",
    "DataRef",
    "Ref",
    "check_alias",
    "check_name",
    "parse_data_ref",
    "parse_ref",
]

LATEST = "latest"
"""The selector that always means the newest version; reserved, so no alias can take it."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
ALIAS_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,99}")
SPLIT_PATTERN = ALIAS_PATTERN
VERSION_PATTERN = re.compile(r"v?([0-9]+)")
_FILE_ID = re.compile(re.escape(FILE_ID_PREFIX) + r"[A-Za-z0-9_-]+")

Selector = int | str
"""A version number, :data:`LATEST`, or an alias name."""


@dataclass(frozen=True)
class Ref:
    """``name@selector`` parsed: ``selector`` is a version number, ``"latest"`` or an alias."""

    kind: str
    name: str
    selector: Selector

    @property
    def version(self) -> int | None:
        """The version number, if the reference names one directly."""
        return self.selector if isinstance(self.selector, int) else None

    @property
    def alias(self) -> str | None:
        """The alias, if the reference goes through one."""
        if isinstance(self.selector, str) and self.selector != LATEST:
            return self.selector
        return None

    def __str__(self) -> str:
        return self.name if self.selector == LATEST else f"{self.name}@{self.selector}"


@dataclass(frozen=True)
class DataRef:
    """Where data comes from: a dataset split (``dataset`` set, ``split`` optional), an uploaded
    file (``file_id``), or a path (``path``). ``text`` is what the user wrote."""

    text: str
    dataset: Ref | None = None
    split: str | None = None
    file_id: str | None = None
    path: Path | None = None

    @property
    def source(self) -> Literal["dataset", "file", "path"]:
        if self.dataset is not None:
            return "dataset"
        return "file" if self.file_id is not None else "path"

    def __str__(self) -> str:
        return self.text


def check_name(name: str, *, kind: str, what: str | None = None, param: str = "name") -> None:
    """Raise :class:`BadReference` unless ``name`` is a valid name for a ``kind`` (prompt …)."""
    if not NAME_PATTERN.fullmatch(name):
        raise BadReference(
            f"Bad {what or kind + ' name'}: {name!r} is not a {kind} name.",
            hint=f"{kind.capitalize()} names start with a letter or digit and contain only "
            "letters, digits, '.', '_' and '-' (at most 200 characters); refer to a version as "
            "name@3 or name@alias.",
            param=param,
        )


def check_alias(alias: str) -> None:
    """Raise :class:`BadReference` unless ``alias`` can name an alias (not ``latest``, not
    ``v3``, which reads as a version)."""
    if alias == LATEST:
        raise BadReference(
            f"The alias {LATEST!r} is reserved: it always means the newest version.",
            hint="Pick another alias, e.g. production, staging or canary.",
            param="alias",
        )
    if not ALIAS_PATTERN.fullmatch(alias) or VERSION_PATTERN.fullmatch(alias):
        raise BadReference(
            f"Bad alias {alias!r}.",
            hint="Aliases are lowercase identifiers such as production, staging or canary: a "
            "letter, then letters, digits, - or _ (and not v<number>, which reads as a version).",
            param="alias",
        )


def parse_ref(text: str, *, kind: str, param: str = "ref") -> Ref:
    """Split ``name[@selector]`` into a :class:`Ref`; :class:`BadReference` if malformed."""
    name, at, selector = text.partition("@")
    check_name(name, kind=kind, what=f"{kind} reference {text!r}", param=param)
    if not at:
        return Ref(kind, name, LATEST)
    if version := VERSION_PATTERN.fullmatch(selector):
        number = int(version.group(1))
        if number < 1:
            raise BadReference(
                f"Bad {kind} reference {text!r}: versions start at 1.",
                hint=f"Use {name}@1, {name}@latest or {name}@<alias>.",
                param=param,
            )
        return Ref(kind, name, number)
    if selector == LATEST or ALIAS_PATTERN.fullmatch(selector):
        return Ref(kind, name, selector)
    raise BadReference(
        f"Bad {kind} reference {text!r}.",
        hint=f"Use {name} or {name}@latest (newest version), {name}@3 (version 3) or "
        f"{name}@production (an alias: lowercase letters, digits, - and _).",
        param=param,
    )


def parse_data_ref(text: str, *, base: Path | None = None, param: str = "data") -> DataRef:
    """Parse a data reference (see the module docstring).

    ``base`` is the folder relative paths are read from (a suite's folder); a path that exists
    there always wins, so a file named like a reference is still read as a file. Raises
    :class:`BadReference` for something that looks like a dataset reference but is malformed.
    """
    if not text.strip():
        raise BadReference(
            f"Empty {param}.",
            hint="Give a dataset split such as seoul-qa@1:train, a file path or a file-… id.",
            param=param,
        )
    path = Path(text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if path.exists():
        return DataRef(text, path=path)
    if _FILE_ID.fullmatch(text):
        return DataRef(text, file_id=text)
    if "/" in text or "\\" in text or ("@" not in text and ":" not in text):
        return DataRef(text, path=path)
    ref_text, colon, split = text.partition(":")
    if colon and not SPLIT_PATTERN.fullmatch(split):
        raise BadReference(
            f"Bad dataset reference {text!r}: {split!r} is not a split name."
            if split
            else f"Bad dataset reference {text!r}: no split after ':'.",
            hint="Write NAME@VERSION:SPLIT, e.g. seoul-qa@3:train; split names are lowercase "
            "(train, validation, test).",
            param=param,
        )
    return DataRef(
        text, dataset=parse_ref(ref_text, kind="dataset", param=param), split=split or None
    )
