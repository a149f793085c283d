"""``tuneloop migrate openai pull``: an OpenAI fine-tuning job's files, settings and metrics,
brought home as a dataset version and a *source model* version.

For each job (named by its ``ftjob-…`` id or the ``ft:…`` model it made):

1. **download** the training and validation files, the result files (the step-metrics CSV) and
   the metadata (job object, every event, checkpoints) into the project's content-addressed
   artifact store. Each download streams to a temporary file that is hashed, moved into place
   and only *then* recorded in the manifest, so a kill mid-download leaves nothing half-written
   and the next run fetches only what is missing;
2. **validate** the chat files with the data stage (:func:`tuneloop.data.validate.validate_lines`,
   the same checks as ``tuneloop data validate``). Problems are reported as
   ``openai:file-abc123:LINE: code: what`` — the user cannot open the remote file, so the message
   names its id, the line, and where the downloaded copy lies — and the job is not registered;
3. **scan for PII** with the project's scanner (:mod:`tuneloop.safety.pii`), report counts per
   entity with ``openai:file-…:LINE``, and redact with placeholders before registering (as
   ``tuneloop data prepare`` does); ``keep_pii`` keeps the records as they are;
4. **register** dataset ``NAME-openai`` (splits ``train``/``validation``, lineage
   ``openai:file-…`` in its pipeline) and version *n* of model ``NAME``: the ``ft:`` id served by
   the ``openai`` backend, with base model, job id, hyperparameters as reported, result metrics
   and ``artifacts.source = True``. If ``NAME@production`` does not exist yet it is pointed at
   this version (a recorded, forced move): that fine-tune *is* what production uses today.

Why a JSON manifest (``<project>/migrate/NAME/pull.json``) and not a table: it sits beside the
golden suite and training file of the same migration (``record``/``retrain`` write there too),
so one folder a person can read — and commit — says what was taken from the old account; it
needs no schema change, and the facts it indexes (bytes, versions) are in the store already, so
losing it costs at most a re-download. It is rewritten atomically after every file.

Idempotent: files already in the manifest (and intact in the store) are not downloaded again,
dataset versions are content-addressed and a ``model_id`` is registered once, so a second pull
downloads nothing and adds no version, row or artifact; a job the manifest marks done (same
files, same PII policy, its versions still there) is not even validated or scanned again.
"""

from __future__ import annotations

import base64
import binascii
import csv
import dataclasses
import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from tuneloop.atomicfile import atomic_write_text
from tuneloop.errors import (
    BadReference,
    DataError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    StoreError,
    UnknownReference,
)
from tuneloop.migrate.inventory import (
    JOB_PREFIX,
    JobInfo,
    model_infos,
    resolve_job,
    take_inventory,
)
from tuneloop.registry import refs

if TYPE_CHECKING:
    from tuneloop.data.records import Example
    from tuneloop.migrate.client import Account
    from tuneloop.registry import Store
    from tuneloop.registry.datasets import DatasetVersion
    from tuneloop.registry.models import ModelVersion

__all__ = [
    "DATASET_SUFFIX",
    "MIGRATED_REASON",
    "PiiHit",
    "PullResult",
    "PulledFile",
    "dataset_name",
    "final_metrics",
    "find_source",
    "manifest_path",
    "migrate_dir",
    "parse_step_metrics",
    "pull",
    "pull_job",
    "pulled_dataset_ref",
]

DATASET_SUFFIX = "-openai"
PRODUCTION = "production"
MIGRATED_REASON = "migrated from OpenAI: the fine-tune production uses today"
MIGRATE_DIR = "migrate"
MANIFEST = "pull.json"
_CHUNK = 1 << 20
_SHOWN_ISSUES = 10

Role = Literal["training", "validation", "result"]
Progress = Callable[[str, int, int], None]


# -- names and lookups (the contract the later steps build on) ---------------------------------


def dataset_name(name: str) -> str:
    """The dataset a pull of model ``name`` registers its files under (``NAME-openai``)."""
    return name + DATASET_SUFFIX


def migrate_dir(project_dir: Path, name: str) -> Path:
    """``<project>/migrate/NAME``: where every step of one migration keeps its files."""
    return Path(project_dir) / MIGRATE_DIR / name


def manifest_path(project_dir: Path, name: str) -> Path:
    """``<project>/migrate/NAME/pull.json``: what pull has already taken."""
    return migrate_dir(project_dir, name) / MANIFEST


def _is_source(version: ModelVersion) -> bool:
    return version.backend == "openai" and bool(version.artifacts.get("source"))


def _not_pulled(ref: str, what: str) -> UnknownReference:
    return UnknownReference(
        f"No OpenAI fine-tune pulled for {ref!r}: {what}.",
        hint=f"Pull it first: `tuneloop migrate openai pull {ref}` (a ft:… model id or ftjob-… "
        "job id; `tuneloop migrate openai inventory` lists them).",
        param="source",
    )


def find_source(store: Store, ref: str) -> ModelVersion:
    """The source model version (the old OpenAI fine-tune, as pull registered it) that ``ref``
    names: a tuneloop model name (its newest source version), ``NAME@N``, the ``ft:`` model id,
    or the ``ftjob-`` job id. :class:`~tuneloop.errors.UnknownReference` naming the pull command
    to run when there is none."""
    if ref.startswith(JOB_PREFIX):
        found = [v for v in store.models.find_by_job(ref) if _is_source(v)]
        if not found:
            raise _not_pulled(ref, "no model version came from this job")
        return found[-1]
    if ":" in ref:
        version = store.models.find_by_model_id(ref)
        if version is None or not _is_source(version):
            raise _not_pulled(ref, "no source model version has this id")
        return version
    name, _, selector = ref.partition("@")
    if selector:
        version = store.models.resolve(ref)
        if version is None or not _is_source(version):
            raise _not_pulled(ref, "it is not a version pull registered")
        return version
    try:
        sources = [v for v in store.models.versions(name) if _is_source(v)]
    except UnknownReference:
        sources = []
    if not sources:
        raise _not_pulled(ref, "the model has no source version")
    return sources[-1]


def pulled_dataset_ref(store: Store, name: str) -> str:
    """``NAME-openai@N:train``: the training split of the dataset version that pull registered
    for model ``name``'s newest source version (its ``dataset_ref``)."""
    source = find_source(store, name)
    if not source.dataset_ref:
        raise _not_pulled(name, "its source version names no dataset")
    return source.dataset_ref


# -- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PulledFile:
    """One remote file in the store: ``downloaded`` is whether this run fetched it."""

    file_id: str
    role: Role
    sha256: str
    bytes: int
    downloaded: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PiiHit:
    """One PII finding in a pulled file: ``openai:file-…:LINE``, the field, the entity and a
    masked preview (the raw value is never kept)."""

    where: str
    field: str | None
    entity: str
    preview: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class PullResult:
    """What pulling one job did."""

    name: str
    job: JobInfo
    files: list[PulledFile]
    metadata_sha256: str
    step_metrics: list[dict[str, float]]
    metrics: dict[str, float]
    dataset: DatasetVersion
    dataset_created: bool
    source: ModelVersion
    source_created: bool
    production_set: bool
    pii_counts: dict[str, int]
    pii_hits: list[PiiHit]
    pii_redacted: bool
    shutdown_date: date | None
    manifest: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def downloaded(self) -> int:
        return sum(f.downloaded for f in self.files)

    @property
    def next_command(self) -> str:
        return f"tuneloop migrate openai record {self.source.model_id} --name {self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "job": self.job.id,
            "fine_tuned_model": self.job.fine_tuned_model,
            "files": [f.as_dict() for f in self.files],
            "downloaded": self.downloaded,
            "metadata_sha256": self.metadata_sha256,
            "metrics": self.metrics,
            "steps": len(self.step_metrics),
            "dataset": self.dataset.ref,
            "dataset_created": self.dataset_created,
            "counts": dict(self.dataset.counts),
            "source": self.source.ref,
            "source_created": self.source_created,
            "production_set": self.production_set,
            "pii": {
                "counts": self.pii_counts,
                "redacted": self.pii_redacted,
                "findings": [h.as_dict() for h in self.pii_hits],
            },
            "shutdown_date": self.shutdown_date.isoformat() if self.shutdown_date else None,
            "manifest": str(self.manifest),
            "warnings": self.warnings,
            "next": self.next_command,
        }


# -- the manifest ------------------------------------------------------------------------------


class _Manifest:
    """``pull.json``: ``{"name", "jobs": {ftjob: {"files": {file_id: {...}}, "metadata": sha,
    "dataset": ref, "source": ref}}}``, saved atomically after every change."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.data: dict[str, Any] = {"name": name, "jobs": {}}
        if path.is_file():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"{path}:{exc.lineno}: the pull manifest is not valid JSON ({exc.msg}).",
                    hint="Delete it to start over: what was downloaded stays in the store, and "
                    "pull re-downloads only what it cannot vouch for.",
                ) from exc
            if isinstance(loaded, dict) and isinstance(loaded.get("jobs"), dict):
                self.data = loaded

    def job(self, job_id: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.data["jobs"].setdefault(job_id, {"files": {}})
        entry.setdefault("files", {})
        return entry

    def save(self) -> None:
        self.data["updated_at"] = datetime.now(UTC).isoformat()
        atomic_write_text(self.path, json.dumps(self.data, ensure_ascii=False, indent=2) + "\n")


# -- pure helpers ------------------------------------------------------------------------------


def parse_step_metrics(data: bytes) -> list[dict[str, float]]:
    """Rows of a step-metrics CSV (``step,train_loss,train_accuracy,valid_loss,
    valid_mean_token_accuracy``), empty cells left out. OpenAI has served this file both as
    plain CSV and base64-encoded; both are read. :class:`DataError` when it is neither."""
    text = data.decode("utf-8-sig", errors="replace").strip()
    if not text.startswith("step"):
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8-sig").strip()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise DataError("not a step-metrics CSV (nor base64 of one)") from exc
    if not text.startswith("step"):
        raise DataError("not a step-metrics CSV: the first column must be 'step'")
    rows: list[dict[str, float]] = []
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        values: dict[str, float] = {}
        for key, cell in row.items():
            if key is None or cell is None or not str(cell).strip():
                continue
            try:
                values[key.strip()] = float(cell)
            except ValueError as exc:
                raise DataError(f"line {number}: {key} is {cell!r}, not a number") from exc
        if "step" in values:
            rows.append(values)
    return rows


def final_metrics(
    rows: Sequence[dict[str, float]], checkpoint: dict[str, float]
) -> dict[str, float]:
    """The job's result metrics: each CSV column's last value (``steps`` = the last step), then
    the newest checkpoint's metrics for keys the CSV lacks (``full_valid_loss`` …)."""
    out: dict[str, float] = {}
    for row in rows:
        out.update({k: v for k, v in row.items() if k != "step"})
    if rows:
        out["steps"] = rows[-1]["step"]
    for key, value in checkpoint.items():
        if key != "step":
            out.setdefault(key, value)
    return out


# -- the network edge: downloads ---------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextmanager
def _part_file(folder: Path, file_id: str) -> Iterator[Path]:
    """``openai-<file id>.<pid>.part``: where a download lands before it is hashed into the
    store. Parts a killed pull left behind (their process is gone) are removed first."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(f"openai-{file_id}.*.part"):
        pid = stale.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    path = folder / f"openai-{file_id}.{os.getpid()}.part"
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _intact(store: Store, sha: str | None) -> bool:
    if not sha or store.artifacts.find(sha) is None:
        return False
    try:
        store.artifacts.read(sha, verify=True)
    except (StoreError, NotFound, OSError):  # missing or corrupt: download it again
        return False
    return True


def _download(
    store: Store, account: Account, manifest: _Manifest, job_id: str, file_id: str, role: Role
) -> PulledFile:
    entry = manifest.job(job_id)["files"].get(file_id)
    if entry and _intact(store, entry.get("sha256")):
        return PulledFile(file_id, role, entry["sha256"], int(entry["bytes"]), downloaded=False)
    with _part_file(store.artifacts.root / "tmp", file_id) as part:
        with (
            account.remote(f"download {file_id}"),
            account.client.files.with_streaming_response.content(file_id) as response,
            part.open("wb") as handle,
        ):
            for chunk in response.iter_bytes(_CHUNK):
                handle.write(chunk)
        media = "text/csv" if role == "result" else "application/x-ndjson"
        record = store.artifacts.put_file(
            part, media_type=media, metadata={"openai_file": file_id, "role": role}
        )
    manifest.job(job_id)["files"][file_id] = {
        "role": role,
        "sha256": record.sha256,
        "bytes": record.size,
        "at": datetime.now(UTC).isoformat(),
    }
    manifest.save()
    return PulledFile(file_id, role, record.sha256, record.size, downloaded=True)


def _metadata(store: Store, account: Account, manifest: _Manifest, job: JobInfo) -> str:
    """The job object, all its events and its checkpoints as one JSON artifact; its sha256."""
    entry = manifest.job(job.id)
    if _intact(store, entry.get("metadata")):
        return str(entry["metadata"])
    with account.remote(f"list the events of {job.id}"):
        events = [
            e.to_dict(warnings=False)
            for e in account.client.fine_tuning.jobs.list_events(job.id, limit=100)
        ]
    document = {
        "job": job.raw,
        "events": events,
        "checkpoints": [c.as_dict() for c in job.checkpoints],
        "base_url": account.base_url,
    }
    blob = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    sha = store.artifacts.put_bytes(
        blob, media_type="application/json", metadata={"openai_job": job.id}
    ).sha256
    entry["metadata"] = sha
    manifest.save()
    return sha


def _shutdown_date(account: Account, job: JobInfo) -> date | None:
    """The fine-tune's shutdown date from ``/v1/models`` (its own entry, else its base model's,
    else OpenAI's announced date for the family); None when nothing says."""
    entries: list[dict[str, Any]] = []
    for model in (job.fine_tuned_model, job.base_model):
        if not model:
            continue
        try:
            with account.remote(f"retrieve model {model}"):
                entries.append(account.client.models.retrieve(model).to_dict(warnings=False))
        except (NotFound, PermissionDenied):  # no entry (or none this key may read): no date
            continue
    infos = model_infos([job], entries, is_openai=account.is_openai)
    return infos[0].shutdown_date if infos else None


# -- validation, records, PII ------------------------------------------------------------------


def _lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.removesuffix(b"\r") for line in lines]


def _check(store: Store, pulled: PulledFile) -> list[str]:
    """Validation errors of one downloaded chat file, as ``openai:file-…:LINE: code: what``."""
    from tuneloop.data.validate import validate_lines

    data = store.artifacts.read(pulled.sha256)
    report = validate_lines(_lines(data), path=f"openai:{pulled.file_id}")
    return [str(issue) for issue in report.errors]


def _examples(store: Store, pulled: PulledFile) -> list[Example]:
    """The chat lines of a validated file as examples whose source is ``openai:file-…:LINE``."""
    from tuneloop.data.ingest import IngestOptions, ingest
    from tuneloop.data.records import Example, SkipReport, Source

    path = store.artifacts.path_for(pulled.sha256)
    skips = SkipReport(strict=True)
    options = IngestOptions(fmt="jsonl", max_file_bytes=max(pulled.bytes, 1) + 1)
    examples: list[Example] = []
    for record in ingest([path], options, skips):
        if not isinstance(record, Example):
            continue
        line = record.source.line if record.source else None
        examples.append(
            Example(
                messages=record.messages,
                source=Source(f"openai:{pulled.file_id}", line),
                tags=record.tags,
                meta=record.meta,
            )
        )
    return examples


def _pii(
    examples: Sequence[Example], work: Path, split: str, keep: bool
) -> tuple[Path, Counter[str], list[PiiHit]]:
    """Write ``examples`` as a record file, scan it, and redact it unless ``keep``."""
    from tuneloop.data.pii_files import redact_file, scan_file
    from tuneloop.data.records import write_records
    from tuneloop.safety.storage import default_scanner

    path = work / f"{split}.jsonl"
    write_records(path, examples)
    scanner = default_scanner()
    counts: Counter[str] = Counter()
    hits: list[PiiHit] = []
    for finding in scan_file(path, scanner):
        source = examples[finding.line - 1].source
        where = str(source) if source is not None else f"{path}:{finding.line}"
        counts[finding.finding.entity] += 1
        hits.append(PiiHit(where, finding.field, finding.finding.entity, finding.preview))
    if counts and not keep:
        redact_file(path, path, scanner)
    return path, counts, hits


# -- the workflow ------------------------------------------------------------------------------


def _malformed(problems: list[str], store: Store, files: Sequence[PulledFile]) -> DataError:
    shown = problems[:_SHOWN_ISSUES]
    more = len(problems) - len(shown)
    copies = "; ".join(
        f"openai:{f.file_id} → {store.artifacts.path_for(f.sha256)}"
        for f in files
        if f.role != "result"
    )
    return DataError(
        "The job's data is not chat fine-tuning data tuneloop can train on:\n"
        + "\n".join(shown)
        + (f"\n… and {more} more" if more else "")
        + f"\nDownloaded copies: {copies}",
        hint="Nothing was registered. Fix a copy of the downloaded file (legacy prompt/completion "
        "files convert with `tuneloop data ingest FILE -o records.jsonl`) and push it with "
        "`tuneloop data push`.",
    )


def _finished(
    store: Store, entry: dict[str, Any], job: JobInfo, keep_pii: bool
) -> tuple[DatasetVersion, ModelVersion] | None:
    """The dataset and source versions of a job the manifest says is done, when they are still
    there and were made from the same files with the same PII policy; else None (pull again)."""
    if not entry.get("done") or entry.get("keep_pii") != keep_pii:
        return None
    dataset = store.datasets.resolve(str(entry.get("dataset", "")))
    source = store.models.find_by_model_id(str(job.fine_tuned_model))
    if dataset is None or source is None or source.ref != entry.get("source"):
        return None
    pulled = {k: v.get("sha256") for k, v in entry["files"].items()}
    if source.artifacts.get("files") != pulled:
        return None
    return dataset, source


def _checked_name(name: str) -> str:
    refs.check_name(name, kind="model")
    refs.check_name(dataset_name(name), kind="dataset")
    return name


def pull_job(
    store: Store,
    account: Account,
    job: JobInfo,
    *,
    project_dir: Path,
    author: str,
    name: str | None = None,
    keep_pii: bool = False,
    progress: Progress | None = None,
) -> PullResult:
    """Pull one succeeded job (see the module docstring); safe to run again at any point."""
    tick = progress or (lambda stage, done, total: None)
    if job.status != "succeeded" or not job.fine_tuned_model:
        raise InvalidRequest(
            f"Job {job.id} is {job.status}: it made no fine-tuned model to migrate.",
            hint="Pull a succeeded job (`tuneloop migrate openai inventory` shows each job's "
            "status).",
            param="source",
        )
    earlier = store.models.find_by_model_id(job.fine_tuned_model)
    if earlier is not None and name is not None and earlier.name != name:
        raise BadReference(
            f"{job.fine_tuned_model} was already pulled as {earlier.ref}, not under {name!r}.",
            hint=f"Pull it again with --name {earlier.name} (or without --name).",
            param="name",
        )
    name = _checked_name(name or (earlier.name if earlier else job.default_name))
    manifest = _Manifest(manifest_path(project_dir, name), name)
    wanted: list[tuple[Role, str]] = [("training", job.training_file)]
    if job.validation_file:
        wanted.append(("validation", job.validation_file))
    wanted.extend(("result", file_id) for file_id in job.result_files)

    files: list[PulledFile] = []
    for done, (role, file_id) in enumerate(wanted, start=1):
        files.append(_download(store, account, manifest, job.id, file_id, role))
        tick(f"download {job.id}", done, len(wanted))
    metadata_sha = _metadata(store, account, manifest, job)

    warnings: list[str] = []
    rows: list[dict[str, float]] = []
    for pulled in (f for f in files if f.role == "result"):
        try:
            rows.extend(parse_step_metrics(store.artifacts.read(pulled.sha256)))
        except DataError as exc:
            warnings.append(f"openai:{pulled.file_id}: {exc.message}; its metrics are left out")
    metrics = final_metrics(rows, job.metrics)

    finished = _finished(store, manifest.job(job.id), job, keep_pii)
    if finished is not None:  # pulled before with the same files and PII policy: nothing to do
        dataset, source = finished
        found = next((s for s in dataset.pipeline if s.get("step") == "pii"), {})
        counts_before = {str(k): int(v) for k, v in dict(found.get("found") or {}).items()}
        shutdown_before = source.artifacts.get("shutdown_date")
        return PullResult(
            name=name,
            job=job,
            files=files,
            metadata_sha256=metadata_sha,
            step_metrics=rows,
            metrics=dict(source.metrics),
            dataset=dataset,
            dataset_created=False,
            source=source,
            source_created=False,
            production_set=False,
            pii_counts=counts_before,
            pii_hits=[],
            pii_redacted=bool(counts_before) and not keep_pii,
            shutdown_date=date.fromisoformat(shutdown_before) if shutdown_before else None,
            manifest=manifest.path,
            warnings=warnings,
        )

    chat = [f for f in files if f.role != "result"]
    problems = [p for f in chat for p in _check(store, f)]
    if problems:
        raise _malformed(problems, store, files)

    with tempfile.TemporaryDirectory(prefix="tuneloop-pull-") as tmp:
        splits: dict[str, Path] = {}
        counts: Counter[str] = Counter()
        hits: list[PiiHit] = []
        for pulled in chat:
            split = "train" if pulled.role == "training" else "validation"
            path, found, where = _pii(_examples(store, pulled), Path(tmp), split, keep_pii)
            splits[split] = path
            counts.update(found)
            hits.extend(where)
        if counts and keep_pii:
            warnings.append(
                f"{sum(counts.values())} PII findings kept as they are (--keep-pii): the dataset "
                "holds personal information"
            )
        dataset, dataset_created = _push(
            store, account, job, name, splits, files, counts, keep_pii, author
        )

    shutdown = _shutdown_date(account, job)
    source_created = earlier is None
    source = store.models.register_version(
        name,
        model_id=job.fine_tuned_model,
        backend="openai",
        config=_serving_config(account, job.fine_tuned_model),
        base_model=job.base_model,
        author=author,
        job_id=job.id,
        dataset_ref=f"{dataset.ref}:train",
        hyperparameters=job.reported_hyperparameters,
        metrics=metrics,
        artifacts={
            "provider": "openai",
            "source": True,
            "result_files": list(job.result_files),
            "shutdown_date": shutdown.isoformat() if shutdown else None,
            "trained_tokens": job.trained_tokens,
            "files": {f.file_id: f.sha256 for f in files},
            "metadata_sha256": metadata_sha,
        },
        description=f"OpenAI fine-tune {job.fine_tuned_model} (job {job.id}), pulled from "
        f"{account.base_url}",
    )
    production_set = False
    if PRODUCTION not in store.models.aliases(name):
        move = store.models.set_alias(
            name, PRODUCTION, source.version, by=author, reason=MIGRATED_REASON, force=True
        )
        production_set = move.changed

    entry = manifest.job(job.id)
    entry.update(
        fine_tuned_model=job.fine_tuned_model,
        dataset=dataset.ref,
        source=source.ref,
        keep_pii=keep_pii,
        done=True,
    )
    manifest.save()
    return PullResult(
        name=name,
        job=job,
        files=files,
        metadata_sha256=metadata_sha,
        step_metrics=rows,
        metrics=metrics,
        dataset=dataset,
        dataset_created=dataset_created,
        source=source,
        source_created=source_created,
        production_set=production_set,
        pii_counts=dict(sorted(counts.items())),
        pii_hits=hits,
        pii_redacted=bool(counts) and not keep_pii,
        shutdown_date=shutdown,
        manifest=manifest.path,
        warnings=warnings,
    )


def _serving_config(account: Account, model_id: str) -> dict[str, Any]:
    """How the ``openai`` backend reaches the old fine-tune: its id, the server when it is not
    OpenAI, and the key's variable when it is not the default one (never the key)."""
    config: dict[str, Any] = {"model": model_id}
    if account.stored_base_url is not None:
        config["base_url"] = account.stored_base_url
    if account.key_env != "OPENAI_API_KEY":
        config["api_key_env"] = account.key_env
    return config


def _push(
    store: Store,
    account: Account,
    job: JobInfo,
    name: str,
    splits: dict[str, Path],
    files: Sequence[PulledFile],
    counts: Counter[str],
    keep_pii: bool,
    author: str,
) -> tuple[DatasetVersion, bool]:
    from tuneloop.data.versions import push_dataset

    pipeline: list[dict[str, Any]] = [
        {
            "step": "openai-pull",
            "job": job.id,
            "fine_tuned_model": job.fine_tuned_model,
            "training_file": f"openai:{job.training_file}",
            "validation_file": f"openai:{job.validation_file}" if job.validation_file else None,
            "base_url": account.base_url,
            "sha256": {f.file_id: f.sha256 for f in files if f.role != "result"},
        },
        {
            "step": "pii",
            "policy": "keep" if keep_pii else "redact",
            "mode": "placeholder",
            "found": dict(sorted(counts.items())),
        },
    ]
    return push_dataset(
        store,
        dataset_name(name),
        splits,
        author=author,
        message=f"Pulled from OpenAI job {job.id} ({job.fine_tuned_model})",
        pipeline=pipeline,
        description=f"Training data of the OpenAI fine-tune {job.fine_tuned_model} (job "
        f"{job.id}), as uploaded to {account.base_url}.",
    )


def pull(
    store: Store,
    account: Account,
    sources: Sequence[str],
    *,
    project_dir: Path,
    author: str,
    name: str | None = None,
    all_jobs: bool = False,
    keep_pii: bool = False,
    progress: Progress | None = None,
) -> list[PullResult]:
    """Pull every job ``sources`` names (``ftjob-…`` ids or ``ft:…`` models), or with
    ``all_jobs`` every succeeded job of the account, one after the other."""
    if not sources and not all_jobs:
        raise InvalidRequest(
            "Name the fine-tunes to pull, or pass --all.",
            hint="`tuneloop migrate openai inventory` lists the account's jobs and models.",
            param="source",
        )
    jobs = [resolve_job(account, ref) for ref in dict.fromkeys(sources)]
    if all_jobs:
        seen = {j.id for j in jobs}
        jobs.extend(
            j for j in take_inventory(account).jobs if j.status == "succeeded" and j.id not in seen
        )
    return [
        pull_job(
            store,
            account,
            job,
            project_dir=project_dir,
            author=author,
            name=name,
            keep_pii=keep_pii,
            progress=progress,
        )
        for job in jobs
    ]
