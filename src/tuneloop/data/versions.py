"""Dataset versions as the data stage sees them: push record files with their counts, card and
pipeline; read a version's splits back; and resolve a command-line argument that is either a
record file or a dataset reference.

The registry (:mod:`tuneloop.registry.datasets`) stores bytes and metadata and knows nothing of
records; this module is where record files are checked (every line parses) before they become a
version, so a broken file can never be versioned.

Argument syntax used by every data command that reads records — the registry's one data
reference parser (:func:`tuneloop.registry.refs.parse_data_ref`)::

    work/clean.jsonl        a record file
    seoul-qa@3:train        split "train" of version 3 of dataset seoul-qa
    seoul-qa@production:train   split "train" of the version the alias production names
    seoul-qa:test           split "test" of the latest version
    seoul-qa@3              the only split of version 3 (an error if it has several)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.data.card import dataset_card, dataset_counts
from tuneloop.data.records import Record, read_records
from tuneloop.errors import DataError
from tuneloop.registry.refs import parse_data_ref

if TYPE_CHECKING:
    from tuneloop.registry import Store
    from tuneloop.registry.datasets import DatasetVersion

__all__ = ["load_records", "push_dataset", "read_split"]


def push_dataset(
    store: Store,
    name: str,
    files: Mapping[str, Path],
    *,
    author: str,
    message: str = "",
    parent: str | None = None,
    pipeline: Sequence[Mapping[str, Any]] = (),
    cleaning: Mapping[str, Mapping[str, int]] | None = None,
    description: str = "",
) -> tuple[DatasetVersion, bool]:
    """Check each split's record file, then store them as the next version of ``name``."""
    splits = {split: list(read_records(path)) for split, path in files.items()}
    card = dataset_card(name, splits, pipeline=pipeline, description=description, cleaning=cleaning)
    return store.datasets.push(
        name,
        dict(files),
        author=author,
        message=message,
        parent=parent,
        pipeline=pipeline,
        counts=dataset_counts(splits),
        card=card,
    )


def read_split(store: Store, version: DatasetVersion, split: str) -> list[Record]:
    """The records of ``split`` of ``version`` (file verified against its hash first)."""
    return list(read_records(store.datasets.path(version, split)))


def load_records(arg: str, store: Store | None = None) -> list[Record]:
    """Records from a record file path or a dataset reference (see the module docstring).

    ``store`` is only needed (and only opened by callers) for references; a path that exists is
    always read as a file.
    """
    ref = parse_data_ref(arg)
    if ref.path is not None and ref.path.exists():
        return list(read_records(ref.path))
    if store is None or ref.dataset is None:
        raise DataError(
            f"{arg}: no such file.",
            hint="Give a record file, or a dataset version such as seoul-qa@3:train "
            "(see `tuneloop data list`).",
        )
    return list(read_records(store.datasets.split(ref).path))
