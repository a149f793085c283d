"""``tuneloop data prepare``: the whole data stage from one YAML file — ingest, Q/A, clean,
held-out guard, split — ending in an immutable dataset version.

Why a declarative file: the pipeline that made a dataset must be repeatable and reviewable. The
file is the recipe, it is checked with file:line errors before any work starts, and it is recorded
in the version (with its sha256 and every step's parameters and seeds) so ``data show`` answers
"how was this made?". Each step is the same function the single-step command runs, so a user can
debug any step alone.

Example (``examples/seoul-travel/data.yaml``)::

    name: seoul-qa
    description: 서울 여행 Q&A
    sources:
      - path: docs/
      - path: chatlogs/
        assistant: [서울가이드]
      - path: qa/seed-qa.csv
    heldout: [heldout/questions.jsonl]
    qa: {method: rules}
    clean: {pii: redact, near_threshold: 0.8}
    split: {ratios: {train: 0.8, validation: 0.1, test: 0.1}, seed: 13}

Paths are relative to the YAML file's folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tuneloop.data.records import Example, Record, SkipReport, Source, write_records
from tuneloop.errors import DataError, InvalidRecord
from tuneloop.jsonlines import iter_objects

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel
    from tuneloop.registry import Store
    from tuneloop.registry.datasets import DatasetVersion

__all__ = [
    "PrepareConfig",
    "PrepareResult",
    "load_prepare_config",
    "prepare_dataset",
]

StageCallback = Callable[[str, int, int], None]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceSpec(_Strict):
    """One input: a file or folder and how to read it (the `data ingest` options)."""

    path: str = Field(description="File or folder, relative to the pipeline file.")
    format: str | None = Field(None, description="Force a reader (see `tuneloop data formats`).")
    encoding: str | None = Field(None, description="Force a text encoding, e.g. cp949.")
    assistant: list[str] = Field(
        default_factory=list, description="Chat-log speakers who are the assistant."
    )
    tags: list[str] = Field(
        default_factory=list, description="Tags added to every example from this source."
    )


class QaSpec(_Strict):
    """How documents become Q/A pairs (the `data qa` options)."""

    method: Literal["rules", "llm", "both", "none"] = "rules"
    rules: list[str] = Field(default_factory=lambda: ["kv", "section"])
    model: str | None = Field(None, description="Model for the llm method.")
    prompt: str | None = Field(None, description="Prompt file or NAME@label for the llm method.")
    pairs_per_chunk: int = Field(3, ge=1, le=20)
    grounding_threshold: float = Field(0.6, ge=0, le=1)
    keep_flagged: bool = False
    system: str | None = Field(None, description="System message added to generated pairs.")
    seed: int | None = None


class CleanSpec(_Strict):
    """The `data clean` options (the PII salt comes from TUNELOOP_PII_SALT, never a file)."""

    normalize: bool = True
    min_answer_chars: int = Field(2, ge=0)
    max_chars: int = Field(8000, ge=1)
    languages: list[str] = Field(default_factory=lambda: ["ko", "en"])
    max_repetition: float = Field(0.5, gt=0, le=1)
    pii: Literal["redact", "drop", "keep"] = "redact"
    pii_mode: Literal["placeholder", "mask", "hash"] = "placeholder"
    pii_entities: list[str] = Field(default_factory=list)
    dedupe: bool = True
    near_threshold: float = Field(0.8, gt=0, le=1)
    seed: int = 1


class SplitSpec(_Strict):
    """The `data split` options."""

    ratios: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.8, "validation": 0.1, "test": 0.1}
    )
    seed: int = 0
    stratify: Literal["tag", "none"] = "tag"
    leakage_threshold: float = Field(0.8, gt=0, le=1)


class ContextSpec(_Strict):
    """Retrieved passages in each generated pair's user turn (retrieval-augmented fine-tuning,
    see :mod:`tuneloop.data.qa.context`); attached after the split, per split."""

    k: int = Field(3, ge=1, le=20, description="Passages per example, the gold one included.")
    unanswerable: float = Field(
        0.15, ge=0, le=1, description="Share of examples whose gold passage is removed."
    )
    budget_tokens: int = Field(
        768, ge=64, description="Most tokens an example may have (the base model's context)."
    )
    tokenizer: str | None = Field(
        None, description="Model whose tokenizer counts the budget; unset: the labelled estimate."
    )
    passage_chars: int = Field(500, ge=50, description="Longest passage, in characters.")
    overlap_chars: int = Field(100, ge=0, description="Characters neighbouring passages share.")
    cite: bool = Field(True, description="Answers end with the gold source's number, e.g. [2].")
    seed: int = 0


class PrepareConfig(_Strict):
    """A data pipeline file: sources in, one dataset version out."""

    name: str = Field(description="Dataset name the version is pushed under.")
    description: str = Field("", description="A paragraph for the dataset card.")
    sources: list[SourceSpec] = Field(min_length=1)
    heldout: list[str] = Field(
        default_factory=list,
        description="Files of held-out questions; training examples too similar to one are "
        "dropped.",
    )
    heldout_threshold: float = Field(0.7, gt=0, le=1)
    system: str | None = Field(
        None,
        description="System message given to every example that has none, so the model is "
        "trained with the same instructions it will be served with.",
    )
    chunk_chars: int = Field(1200, ge=100)
    overlap_chars: int = Field(200, ge=0)
    qa: QaSpec = Field(default_factory=QaSpec)
    clean: CleanSpec = Field(default_factory=CleanSpec)
    split: SplitSpec = Field(default_factory=SplitSpec)
    context: ContextSpec | None = Field(
        None, description="Attach retrieved passages to generated pairs (unset: no context)."
    )


def load_prepare_config(path: str | Path) -> PrepareConfig:
    """Parse and check a pipeline file; errors name file:line and the key."""
    from tuneloop.yamlfile import load_yaml, validate_yaml

    return validate_yaml(load_yaml(path, DataError), PrepareConfig, DataError)


@dataclass
class PrepareResult:
    """What a prepare run did, step by step, and the version it made (None with ``push=False``)."""

    version: DatasetVersion | None
    created: bool
    steps: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    flagged: int = 0
    cleaning: dict[str, dict[str, int]] = field(default_factory=dict)
    split_counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def _questions(path: Path) -> list[tuple[str, str | None]]:
    """Held-out questions with their ``source`` document (or None): lines with "question"
    (JSONL), or record files' first user turns."""
    hint = 'Held-out files hold one {"question": ...} per line.'
    questions: list[tuple[str, str | None]] = []
    for number, data in iter_objects(path, hint=hint):
        source = data.get("source") if isinstance(data.get("source"), str) else None
        if isinstance(data.get("question"), str):
            questions.append((data["question"], source))
        elif data.get("kind") == "example":
            questions.append((Example(messages=data.get("messages") or []).first("user"), None))
        else:
            raise InvalidRecord('no "question" in this line.', path=path, line=number, hint=hint)
    return questions


def _relative(source: Source, base: Path) -> Source:
    """``source`` with its path relative to the pipeline file's folder, so a dataset's sources
    read the same on every machine (``docs/gyeongbokgung.md:3``, not an absolute path)."""
    try:
        relative = Path(source.path).resolve().relative_to(base)
    except ValueError:
        return source
    return dataclasses.replace(source, path=relative.as_posix())


def _attach_context(
    spec: ContextSpec,
    records: list[Record],
    base: Path,
    held: list[tuple[str, str | None]],
    splits: dict[str, list[Example]],
    steps: list[dict[str, Any]],
    result: PrepareResult,
) -> dict[str, list[Example]]:
    """The context step: passages from the ingested documents' files (cited relative to the
    pipeline file, like the pairs' sources), BM25 over them, then every split's pairs."""
    from tuneloop.data.passages import DocumentSet, load_passages
    from tuneloop.data.qa.context import ContextOptions, attach_context, heldout_passages
    from tuneloop.data.records import Document
    from tuneloop.data.tokenstats import EstimateCounter, TokenCounter
    from tuneloop.data.validate import _counter_for
    from tuneloop.text.bm25 import BM25Retriever

    files = sorted({r.source.path for r in records if isinstance(r, Document) and r.source})
    if not files:
        raise DataError(
            "context: the sources hold no documents to retrieve passages from.",
            hint="Add a documents folder to sources, or remove the context setting.",
        )
    documents = DocumentSet(tuple((base / f, f) for f in files), tuple(files))
    passages, _ = load_passages(
        documents, passage_chars=spec.passage_chars, overlap_chars=spec.overlap_chars
    )
    retriever = BM25Retriever(passages)
    banned = heldout_passages(held, retriever, passages)
    counter: TokenCounter = (
        _counter_for(spec.tokenizer, None) if spec.tokenizer else EstimateCounter()
    )
    options = ContextOptions(
        k=spec.k,
        unanswerable=spec.unanswerable,
        budget_tokens=spec.budget_tokens,
        seed=spec.seed,
        cite=spec.cite,
    )
    totals: dict[str, Any] = {}
    out: dict[str, list[Example]] = {}
    for name, items in splits.items():
        out[name], report = attach_context(
            items, retriever, passages, options=options, counter=counter, banned=banned
        )
        for key, value in report.as_dict().items():
            totals[key] = value if isinstance(value, str) else totals.get(key, 0) + value
    removed = int(totals.get("heldout_dropped", 0))
    if removed:
        result.cleaning = {**result.cleaning, "heldout.passage": {"removed": removed, "changed": 0}}
    steps.append(
        {
            "step": "context",
            **spec.model_dump(),
            "passages": len(passages),
            "heldout_passages": len(banned),
            **totals,
        }
    )
    return out


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare_dataset(
    config_path: Path,
    *,
    store: Store | None,
    author: str,
    message: str = "",
    parent: str | None = None,
    out_dir: Path | None = None,
    strict: bool = False,
    pii_salt: str = "",
    model: ChatModel | None = None,
    progress: StageCallback | None = None,
) -> PrepareResult:
    """Run the pipeline in ``config_path`` and push the result as a version of ``config.name``.

    With ``store=None`` nothing is pushed (a dry run that still writes the split files to
    ``out_dir``). ``model`` is required when ``qa.method`` uses an LLM. Nothing is pushed unless
    every step succeeded; split files are written atomically.
    """
    from tuneloop.data.clean import CleanOptions, clean_records
    from tuneloop.data.dedupe import cross_duplicates
    from tuneloop.data.ingest import IngestOptions, ingest
    from tuneloop.data.qa import build_qa
    from tuneloop.data.split import split_examples
    from tuneloop.data.versions import push_dataset

    config = load_prepare_config(config_path)
    base = config_path.resolve().parent
    tick = progress or (lambda stage, done, total: None)
    steps: list[dict[str, Any]] = [
        {"step": "config", "file": config_path.name, "sha256": _file_sha(config_path)}
    ]
    result = PrepareResult(version=None, created=False, steps=steps)

    # 1. ingest
    skips = SkipReport(strict=strict)
    records: list[Record] = []
    for number, source in enumerate(config.sources, start=1):
        path = base / source.path
        if not path.exists():
            raise DataError(
                f"{config_path}: source {source.path!r} does not exist ({path}).",
                hint="Paths in a pipeline file are relative to the file's folder.",
            )
        options = IngestOptions(
            chunk_chars=config.chunk_chars,
            overlap_chars=config.overlap_chars,
            encoding=source.encoding,
            fmt=source.format,
            assistant_names=tuple(source.assistant),
        )
        found = ingest([path], options, skips)
        for record in found:
            if record.source is not None:
                record.source = _relative(record.source, base)
            if source.tags and isinstance(record, Example):
                record.tags = [*record.tags, *(t for t in source.tags if t not in record.tags)]
        records.extend(found)
        tick("ingest", number, len(config.sources))
    result.skipped = [f"{_relative(s.source, base)}: {s.reason}" for s in skips]
    steps.append(
        {
            "step": "ingest",
            "sources": [s.model_dump(exclude_defaults=True) for s in config.sources],
            "chunk_chars": config.chunk_chars,
            "overlap_chars": config.overlap_chars,
            "records": len(records),
            "skipped": len(skips),
        }
    )

    # 2. Q/A pairs from documents; conversations pass through
    if config.qa.method == "none":
        examples = [r for r in records if isinstance(r, Example)]
    else:
        if config.qa.method != "rules" and model is None:
            raise DataError(
                f"{config_path}: qa.method {config.qa.method!r} needs a model.",
                hint="Set qa.model in the file or pass --model.",
            )
        qa = build_qa(
            records,
            method=config.qa.method,
            rules=config.qa.rules,
            model=model,
            pairs_per_chunk=config.qa.pairs_per_chunk,
            seed=config.qa.seed,
            threshold=config.qa.grounding_threshold,
            system=config.qa.system,
            progress=(lambda done, total: tick("qa", done, total)),
        )
        examples = qa.output(keep_flagged=config.qa.keep_flagged)
        result.flagged = len(qa.flagged)
    steps.append(
        {
            "step": "qa",
            **config.qa.model_dump(),
            "examples": len(examples),
            "flagged": result.flagged,
        }
    )

    if config.system:
        with_system = 0
        for example in examples:
            if not any(m.get("role") == "system" for m in example.messages):
                example.messages.insert(0, {"role": "system", "content": config.system})
                with_system += 1
        steps.append({"step": "system", "content": config.system, "added": with_system})

    # 3. clean
    clean_options = CleanOptions(
        **{
            **config.clean.model_dump(),
            "languages": tuple(config.clean.languages),
            "pii_entities": tuple(config.clean.pii_entities),
        },
        pii_salt=pii_salt,
    )
    cleaned, report = clean_records(examples, clean_options, progress=tick)
    result.cleaning = report.by_rule()
    steps.append({"step": "clean", **config.clean.model_dump(), "kept": report.n_out})

    # 4. held-out guard: nothing too similar to a held-out question may be trained on
    kept_examples = [r for r in cleaned if isinstance(r, Example)]
    held: list[tuple[str, str | None]] = []
    if config.heldout:
        for name in config.heldout:
            held.extend(_questions(base / name))
        overlaps = cross_duplicates(
            [e.first("user") for e in kept_examples],
            [q for q, _ in held],
            threshold=config.heldout_threshold,
        )
        banned = {i for i, _, _ in overlaps}
        kept_examples = [e for i, e in enumerate(kept_examples) if i not in banned]
        result.cleaning = report.by_rule() | (
            {"heldout.overlap": {"removed": len(banned), "changed": 0}} if banned else {}
        )
        steps.append(
            {
                "step": "heldout",
                "files": config.heldout,
                "threshold": config.heldout_threshold,
                "questions": len(held),
                "removed": len(banned),
            }
        )

    # 5. split
    split = split_examples(
        kept_examples,
        ratios=config.split.ratios,
        seed=config.split.seed,
        stratify=config.split.stratify,
        leakage_threshold=config.split.leakage_threshold,
    )
    steps.append({"step": "split", **config.split.model_dump()})
    splits: dict[str, list[Example]] = {name: list(items) for name, items in split.splits.items()}

    # 6. context: retrieved passages in each pair's user turn; held-out passages kept out
    if config.context is not None:
        splits = _attach_context(config.context, records, base, held, splits, steps, result)
    result.split_counts = {name: len(items) for name, items in splits.items()}

    folder = out_dir or Path(tempfile.mkdtemp(prefix="tuneloop-prepare-"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in splits.items():
        path = folder / f"{name}.jsonl"
        write_records(path, items)
        result.files[name] = path
    if store is None:
        return result

    version, created = push_dataset(
        store,
        config.name,
        result.files,
        author=author,
        message=message,
        parent=parent,
        pipeline=steps,
        cleaning=result.cleaning,
        description=config.description,
    )
    result.version, result.created = version, created
    return result
