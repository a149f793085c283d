"""How data commands read their input argument: a record file, or a dataset version's split."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuneloop.cli.context import store

if TYPE_CHECKING:
    from tuneloop.data.records import Record

__all__ = ["SOURCE_HELP", "load_source"]

SOURCE_HELP = (
    "Record file, or a dataset split such as seoul-qa@3:train or seoul-qa@production:test."
)


def load_source(arg: str) -> list[Record]:
    """Records of ``arg``; the project's store is opened only for a dataset reference."""
    from tuneloop.data.versions import load_records
    from tuneloop.registry.refs import parse_data_ref

    return load_records(arg, store() if parse_data_ref(arg).dataset is not None else None)
