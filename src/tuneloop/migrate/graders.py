"""``tuneloop migrate openai import-evals``: exported OpenAI Evals and ``openai/evals`` registry
YAML → tuneloop suites that ``tuneloop eval run`` accepts, each with its mapping report.

OpenAI's hosted Evals closed on 2026-11-30; what a team keeps is exported files. This workflow
reads them, builds one suite per eval (:mod:`.graders_openai` for ``*.json`` exports,
:mod:`.graders_registry` for ``*.yaml`` registry files) and writes, per suite::

    NAME.yaml            the suite (cases inline, or ``cases_from: NAME.cases.jsonl``)
    NAME.cases.jsonl     its cases, when they need nothing a JSONL case cannot hold
    NAME.mapping.json    every grader/argument: mapped, approximated (how) or not mapped (why,
                         with its full definition)
    NAME.GRADER.py       the source of each Python grader, kept for a human to port

**Nothing in an input file is executed.** A Python grader's ``source`` and an ``openai/evals``
custom class are data handed over by someone else: running them would run their code with the
user's files and credentials, so they are kept as text and listed as not mapped. Everything the
workflow does not carry over is listed, never dropped silently; a partly mappable eval is a
success. Unreadable input (bad JSON/YAML, a broken items line, a missing samples file) raises
:class:`~tuneloop.errors.DataError` / :class:`~tuneloop.errors.InvalidRecord` naming file:line.

Files are written atomically (:mod:`tuneloop.atomicfile`) and the same input writes the same
files, so running the import twice is safe.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tuneloop.atomicfile import atomic_write_text
from tuneloop.errors import DataError
from tuneloop.migrate.graders_openai import Found, read_export, read_items, suite_from_eval
from tuneloop.migrate.graders_registry import (
    RegistryEval,
    Sample,
    read_modelgraded_spec,
    read_samples,
    registry_evals,
    samples_path,
    suite_from_registry_eval,
)
from tuneloop.migrate.graders_suite import SuiteDraft
from tuneloop.migrate.graders_templates import Item

__all__ = ["ImportedSuite", "import_evals", "plan_imports", "registry_root", "write_suite"]

_JSON = (".json",)
_YAML = (".yaml", ".yml")


@dataclass(frozen=True)
class ImportedSuite:
    """One imported eval: its draft and the files written for it (``suite`` is None when the
    eval gave no cases — then only the mapping report is written)."""

    draft: SuiteDraft
    report: Path
    suite: Path | None = None
    cases: Path | None = None
    kept: tuple[Path, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.draft.report(),
            "files": {
                "suite": str(self.suite) if self.suite else None,
                "cases": str(self.cases) if self.cases else None,
                "report": str(self.report),
                "kept": [str(p) for p in self.kept],
            },
        }


def import_evals(
    files: Sequence[Path],
    *,
    out_dir: Path,
    items: Path | None = None,
    registry: Path | None = None,
    judge_model: str | None = None,
) -> list[ImportedSuite]:
    """Import every eval in ``files`` and write its suite under ``out_dir``."""
    drafts = plan_imports(files, items=items, registry=registry, judge_model=judge_model)
    return [write_suite(draft, out_dir) for draft in drafts]


def plan_imports(
    files: Sequence[Path],
    *,
    items: Path | None = None,
    registry: Path | None = None,
    judge_model: str | None = None,
) -> list[SuiteDraft]:
    """The suites ``files`` define, not yet written.

    ``*.json`` files are OpenAI exports (evals and runs may sit in separate files: runs join
    their eval by ``eval_id``); ``*.yaml`` files are ``openai/evals`` registry files, their
    samples found under ``registry/data`` (``registry`` defaults to the folder above the YAML's
    ``evals/``). ``items`` replaces the items/samples of the one eval the files define.
    """
    evals: list[Found] = []
    runs: list[Found] = []
    registry_files: list[Path] = []
    for file in files:
        suffix = file.suffix.lower()
        if suffix in _JSON:
            export = read_export(file)
            evals += export.evals
            runs += export.runs
        elif suffix in _YAML:
            registry_files.append(file)
        else:
            raise DataError(
                f"{file}: not an eval export (.json) or an openai/evals registry file (.yaml).",
                hint="Pass a JSONL items file with --items, not as FILE.",
            )
    if runs and not evals:
        raise DataError(
            f"{runs[0].where}: eval runs without their eval: the graders are in the eval.",
            hint="Also pass the eval's export (client.evals.retrieve(ID).model_dump_json()).",
        )
    found_registry = [(f, ev) for f in registry_files for ev in registry_evals(f)]
    total = len(evals) + len(found_registry)
    if items is not None and total != 1:
        raise DataError(
            f"--items gives the data of one eval, but the files define {total}.",
            hint="Import one eval at a time with --items, or export runs with file_content.",
        )
    drafts: list[SuiteDraft] = []
    given_items: list[Item] | None = read_items(items) if items and evals else None
    for found in evals:
        own = [r for r in runs if r.data.get("eval_id") == found.data.get("id")]
        drafts.append(suite_from_eval(found, own, given_items, judge_model=judge_model))
    for file, ev in found_registry:
        root = registry or registry_root(file)
        drafts.append(_registry_draft(ev, root, items, judge_model))
    _unique_names(drafts)
    return drafts


def registry_root(file: Path) -> Path:
    """``evals/registry`` for ``evals/registry/evals/NAME.yaml``; else the YAML's folder."""
    folder = file.resolve().parent
    return folder.parent if folder.name == "evals" else folder


def _registry_draft(
    ev: RegistryEval, root: Path, items: Path | None, judge_model: str | None
) -> SuiteDraft:
    path = items or samples_path(ev, root)
    if path is None:
        raise DataError(
            f"{ev.where}: `{ev.key}` names no samples_jsonl.",
            hint="Give the samples with --items.",
        )
    if not path.is_file():
        raise DataError(
            f"{ev.where}: samples file {path} not found.",
            hint="Pass --registry (the evals/registry folder) or the file with --items; in a "
            "clone of openai/evals run `git lfs pull` first.",
        )
    samples = read_samples(path)
    few_shot: list[Sample] | None = None
    few = ev.args.get("few_shot_jsonl")
    if isinstance(few, str) and (root / "data" / few).is_file():
        few_shot = read_samples(root / "data" / few)
    spec_name = ev.args.get("modelgraded_spec")
    spec = read_modelgraded_spec(root, spec_name) if isinstance(spec_name, str) else None
    return suite_from_registry_eval(
        ev, samples, modelgraded=spec, few_shot=few_shot, judge_model=judge_model
    )


def _unique_names(drafts: Sequence[SuiteDraft]) -> None:
    seen: set[str] = set()
    for draft in drafts:
        name, n = draft.name, 2
        while name in seen:
            name, n = f"{draft.name}-{n}", n + 1
        if name != draft.name:
            draft.description = draft.description.replace(
                f"{draft.name}.mapping.json", f"{name}.mapping.json"
            )
            draft.name = name
        seen.add(name)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (rubrics, system messages) as ``|`` blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100)


def write_suite(draft: SuiteDraft, out_dir: Path) -> ImportedSuite:
    """Write the suite, its cases, its mapping report and kept sources under ``out_dir``."""
    from tuneloop.evaluate.suite import SuiteFile

    report = out_dir / f"{draft.name}.mapping.json"
    kept = tuple(atomic_write_text(out_dir / name, text) for name, text in draft.kept.items())
    suite = cases = None
    if draft.cases:
        inline = draft.needs_inline_cases()
        cases_name = None if inline else f"{draft.name}.cases.jsonl"
        document = draft.suite_document(cases_name)
        SuiteFile.model_validate(document)  # the importers build only what suites accept
        if cases_name is not None:
            lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in draft.jsonl_rows()]
            cases = atomic_write_text(out_dir / cases_name, "".join(lines))
        suite = atomic_write_text(out_dir / f"{draft.name}.yaml", _dump(document))
    result = ImportedSuite(draft, report, suite, cases, kept)
    text = json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n"
    atomic_write_text(report, text)
    return result
