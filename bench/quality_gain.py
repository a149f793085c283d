"""How much fine-tuning helps, against the base model *and* two trivial baselines, on the
held-out Seoul questions.

    python bench/quality_gain.py --project PROJ --model seoul-guide@staging
    python bench/quality_gain.py --project PROJ --train          # trains train.yaml first
    python bench/quality_gain.py --project PROJ --only echo --only retrieve   # no model at all

Four rows answer every question of ``examples/seoul-travel/heldout/questions.jsonl`` — held out by
the data pipeline, so never trained on:

- ``base``: the base SmolLM2-135M (``--base``);
- ``echo``: the question itself (the ``echo`` baseline of ``tuneloop eval run --baseline``);
- ``retrieve``: the best-matching passage of ``examples/seoul-travel/docs`` (BM25 over Kiwi
  morphemes, the ``retrieve`` baseline);
- ``fine-tuned``: ``--model`` (or the version ``--train`` makes).

Models get the system message the training data used and answer greedily (temperature 0, seed
fixed, ``--max-tokens`` 120); baselines are cut at the same ``--max-tokens`` (in words). Answers
go through the eval stage's runner and are scored against the reference answers with the metrics
registered as ``token_f1``, ``rouge_l``, ``fact_recall`` and ``answer_relevance`` (a metric that
is not registered is skipped with a note). Every mean comes with a bootstrap 95% interval over the
questions, and each gain (fine-tuned − another row) with a paired bootstrap interval.

Printed, not asserted: the numbers depend on the run (hardware, data version, epochs).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "seoul-travel"
HELDOUT = SAMPLE / "heldout" / "questions.jsonl"
DOCS = SAMPLE / "docs"
TRAIN_FILE = SAMPLE / "train.yaml"
METRICS = ("token_f1", "rouge_l", "fact_recall", "answer_relevance")
ROWS = ("base", "echo", "retrieve", "fine-tuned")


def system_message() -> str:
    """The system message the data pipeline put on every training example (data.yaml)."""
    import yaml

    return str(yaml.safe_load((SAMPLE / "data.yaml").read_text(encoding="utf-8"))["system"])


def train_model(project: Path) -> str:
    """Run examples/seoul-travel/train.yaml through the CLI; return the new version's model_id."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tuneloop", "--project", str(project), "train", "run",
         str(TRAIN_FILE), "--json"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    job = json.loads(done.stdout)
    print(f"trained {job['fine_tuned_model']} in {time.perf_counter() - started:.0f} s")
    return str(job["fine_tuned_model"])


def available_metrics(names):
    """``(metric uses, notes)``: the registered metrics among ``names``, built with defaults."""
    from tuneloop.errors import TuneloopError
    from tuneloop.evaluate.metrics import build_metric, metric_names
    from tuneloop.evaluate.suite import MetricUse

    registered = set(metric_names())
    uses, notes = [], []
    for name in names:
        if name not in registered:
            notes.append(f"{name}: not registered in this tuneloop, skipped")
            continue
        try:
            build_metric(name)
        except TuneloopError as exc:
            notes.append(f"{name}: cannot be built with default params ({exc.message}), skipped")
            continue
        uses.append(MetricUse(name, name, {}, None, "bench/quality_gain.py"))
    return uses, notes


def heldout_suite(limit: int | None, metrics):
    from tuneloop.evaluate.suite import Suite, read_case_file

    cases = read_case_file(HELDOUT)
    return Suite(
        name="seoul-heldout",
        cases=tuple(cases[:limit] if limit else cases),
        metrics=tuple(metrics),
        system=system_message(),
        path=HELDOUT,
    )


def model_for(row: str, catalog, settings, args):
    from tuneloop.models.catalog import ModelSpec, backends

    if row == "base":
        return catalog.get(args.base)
    if row == "fine-tuned":
        return catalog.get(args.model)
    config = {"documents": [str(DOCS)], "where": str(DOCS)} if row == "retrieve" else {}
    return backends()[row](ModelSpec(row, row, config), settings)


def paired(metric: str, run, tuned):
    """The paired bootstrap of fine-tuned − ``run`` on the questions both scored."""
    from tuneloop.evaluate.bootstrap import paired_bootstrap

    theirs = {r.case_id: r.scores[metric] for r in run.results if metric in r.scores}
    deltas = [
        r.scores[metric] - theirs[r.case_id]
        for r in tuned.results
        if metric in r.scores and r.case_id in theirs
    ]
    return paired_bootstrap(deltas)


def verdict(row: str, metrics, run, tuned) -> str:
    """One line on the token-F1 difference: the +10 target over base, a real win over a baseline."""
    if "token_f1" not in metrics:
        return f"vs {row}: no token_f1"
    d = paired("token_f1", run, tuned)
    if row == "base":
        met = "meets" if 100 * d.mean >= 10 else "misses"
        return f"token-F1 gain over base {100 * d.mean:+.1f} points {met} the +10 target"
    beaten = "beats" if d.significant and d.mean > 0 else "does NOT beat"
    return f"fine-tuned {beaten} the {row} baseline on token-F1 ({100 * d.mean:+.1f} points)"


def cell(interval) -> str:
    if not interval.n:
        return "—"
    return f"{100 * interval.mean:5.1f} [{100 * interval.low:4.1f}, {100 * interval.high:4.1f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="tuneloop project folder")
    parser.add_argument("--base", default="smollm2-135m", help="base model name")
    parser.add_argument("--model", help="fine-tuned model: ft:… id or NAME@alias / NAME@N")
    parser.add_argument("--train", action="store_true", help="train train.yaml first")
    parser.add_argument(
        "--only", action="append", choices=ROWS, help="run only this row (repeatable)"
    )
    parser.add_argument("--max-tokens", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per answer")
    parser.add_argument("--show", type=int, default=2, help="print N example answers")
    args = parser.parse_args()

    from tuneloop.config import load_settings
    from tuneloop.evaluate.baselines import mean_interval
    from tuneloop.evaluate.runner import run_suite_sync
    from tuneloop.models.catalog import Catalog
    from tuneloop.models.types import SamplingParams
    from tuneloop.registry import Store

    rows = list(args.only or ROWS)
    if args.train:
        args.model = train_model(args.project)
    if "fine-tuned" in rows and not args.model:
        if args.only:
            parser.error("the fine-tuned row needs --model (ft:… or NAME@alias) or --train")
        rows.remove("fine-tuned")
        print("fine-tuned: no --model or --train given, row left out")
    uses, notes = available_metrics(METRICS)
    metrics = [u.key for u in uses]
    suite = heldout_suite(args.limit, uses)
    params = SamplingParams(temperature=0.0, max_tokens=args.max_tokens, seed=args.seed)
    settings = load_settings(args.project)
    runs = {}
    with Store.from_settings(settings) as store:
        if "fine-tuned" in rows:
            version = store.models.get(args.model)
            print(f"fine-tuned: {version.ref} ({version.model_id}), dataset {version.dataset_ref}")
        catalog = Catalog(settings, store)
        for row in rows:
            model = model_for(row, catalog, settings, args)
            # No retries and a generous timeout: a slow CPU answer is measured, not retried.
            run = run_suite_sync(
                suite, model, params=params, concurrency=4, retries=0, timeout_s=args.timeout
            )
            runs[row] = run
            failed = f", {run.errors} errors" if run.errors else ""
            print(f"{row:>10}: {model.name}: {len(run.results)} answers in "
                  f"{run.meta['generate_s']:.0f} s{failed}")  # fmt: skip

    print(
        f"\n{len(suite.cases)} held-out questions, greedy, max_tokens={args.max_tokens}; "
        "mean in points [bootstrap 95% interval]"
    )
    width = 20
    print(f"{'row':>11}  " + "  ".join(f"{m:>{width}}" for m in metrics))
    for row, run in runs.items():
        cells = [cell(mean_interval(run.scores(m))) for m in metrics]
        print(f"{row:>11}  " + "  ".join(f"{c:>{width}}" for c in cells))
    if "fine-tuned" in runs:
        tuned = runs["fine-tuned"]
        print("\nfine-tuned minus each row, per question: Δ points [paired bootstrap 95% interval]")
        verdicts = []
        for row, run in runs.items():
            if row == "fine-tuned":
                continue
            cells = []
            for m in metrics:
                d = paired(m, run, tuned)
                cells.append(
                    "—" if not d.n else
                    f"{100 * d.mean:+5.1f} [{100 * d.low:+4.1f}, {100 * d.high:+4.1f}]"
                )  # fmt: skip
            print(f"{'vs ' + row:>11}  " + "  ".join(f"{c:>{width}}" for c in cells))
            verdicts.append(verdict(row, metrics, run, tuned))
        for line in verdicts:
            print(line)
    for note in notes:
        print(f"note: {note}")
    first = next(iter(runs.values()), None)
    for i, case in enumerate(suite.cases[: args.show] if first else ()):
        print(f"\nQ: {case.input}\nref:  {case.references[0] if case.references else ''}")
        for row, run in runs.items():
            print(f"{row}: {run.results[i].output}")


if __name__ == "__main__":
    main()
