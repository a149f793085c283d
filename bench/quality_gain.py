"""How much fine-tuning helps: base vs fine-tuned SmolLM2 on the held-out Seoul questions.

    python bench/quality_gain.py --project PROJ --model seoul-guide@staging
    python bench/quality_gain.py --project PROJ --train   # trains train.yaml first

Both models answer every question of ``examples/seoul-travel/heldout/questions.jsonl`` — held out
by the data pipeline, so never trained on — with the system message the training data used,
greedily (temperature 0, seed fixed, ``--max-tokens`` 120). Answers are scored against the
reference answers with the eval stage's ``token_f1`` and ``rouge_l`` (Korean morphemes via kiwi),
and the script prints per-model means and the gain in points. Target: ≥ +10 token-F1 points.

Printed, not asserted: the number depends on the run (hardware, data version, epochs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "seoul-travel"
HELDOUT = SAMPLE / "heldout" / "questions.jsonl"
TRAIN_FILE = SAMPLE / "train.yaml"
METRICS = ("token_f1", "rouge_l")


def system_message() -> str:
    """The system message the data pipeline put on every training example (data.yaml)."""
    import yaml

    return str(yaml.safe_load((SAMPLE / "data.yaml").read_text(encoding="utf-8"))["system"])


def load_questions(limit: int | None) -> list[dict[str, object]]:
    rows = [
        json.loads(line)
        for line in HELDOUT.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return rows[:limit] if limit else rows


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


def answer_all(catalog, model_name: str, questions, system: str, max_tokens: int, seed: int):
    from tuneloop.models.types import Message, SamplingParams

    model = catalog.get(model_name)
    params = SamplingParams(temperature=0.0, max_tokens=max_tokens, seed=seed)
    answers = []
    started = time.perf_counter()
    for row in questions:
        messages = [Message("system", system), Message("user", str(row["question"]))]
        answers.append(model.generate(messages, params).text.strip())
    return answers, time.perf_counter() - started


def score(questions, answers) -> dict[str, float]:
    from tuneloop.evaluate.metrics import EvalCase, build_metric, score_all

    cases = [
        EvalCase(
            id=str(row["id"]),
            messages=[{"role": "user", "content": row["question"]}],
            references=(str(row["reference"]),),
        )
        for row in questions
    ]
    return {
        name: statistics.fmean(s.value for s in score_all(build_metric(name), cases, answers))
        for name in METRICS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="tuneloop project folder")
    parser.add_argument("--base", default="smollm2-135m", help="base model name")
    parser.add_argument("--model", help="fine-tuned model: ft:… id or NAME@alias / NAME@N")
    parser.add_argument("--train", action="store_true", help="train train.yaml first")
    parser.add_argument("--max-tokens", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--show", type=int, default=2, help="print N example answers")
    args = parser.parse_args()

    from tuneloop.config import load_settings
    from tuneloop.models.catalog import Catalog
    from tuneloop.store import Store

    if args.train:
        args.model = train_model(args.project)
    if not args.model:
        parser.error("give --model (ft:… or NAME@alias) or --train")
    settings = load_settings(args.project)
    questions = load_questions(args.limit)
    system = system_message()
    with Store.from_settings(settings) as store:
        version = store.models.get(args.model)
        print(f"fine-tuned: {version.ref} ({version.model_id}), dataset {version.dataset_ref}")
        catalog = Catalog(settings, store)
        results = {}
        outputs = {}
        for label, name in (("base", args.base), ("fine-tuned", args.model)):
            answers, seconds = answer_all(
                catalog, name, questions, system, args.max_tokens, args.seed
            )
            outputs[label] = answers
            results[label] = score(questions, answers)
            print(f"{label:>10}: {name}: {len(answers)} answers in {seconds:.0f} s")

    print(f"\n{len(questions)} held-out questions, greedy, max_tokens={args.max_tokens}")
    print(f"{'model':>10}  " + "  ".join(f"{m:>9}" for m in METRICS))
    for label, means in results.items():
        print(f"{label:>10}  " + "  ".join(f"{100 * means[m]:9.1f}" for m in METRICS))
    gain = {m: 100 * (results["fine-tuned"][m] - results["base"][m]) for m in METRICS}
    print(f"{'gain':>10}  " + "  ".join(f"{gain[m]:+9.1f}" for m in METRICS))
    verdict = "meets" if gain["token_f1"] >= 10 else "misses"
    print(f"token-F1 gain {gain['token_f1']:+.1f} points {verdict} the +10 target")
    for i, row in enumerate(questions[: args.show]):
        print(f"\nQ: {row['question']}\nref:  {row['reference']}")
        for label in outputs:
            print(f"{label}: {outputs[label][i]}")


if __name__ == "__main__":
    main()
