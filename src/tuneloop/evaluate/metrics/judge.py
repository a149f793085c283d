"""``llm_judge``: a chat model grades each answer from 1 to 5 against a rubric.

Why a prompt file: the rubric is a prompt like any other, so it lives in the prompt stage's
format (the packaged ``evaluate/prompts/judge-rubric.yaml``, or the suite's own through the
``prompt`` parameter) and can be linted, versioned and compared with ``tuneloop prompt …``. The
suite's ``rubric`` parameter adds criteria without replacing the prompt.

The judge replies ``{"score": 1-5, "reason": "..."}``; ``value = (score − 1) / 4``. Judges are
unreliable writers of JSON, so the reply is read tolerantly (a code fence or a sentence around the
object is fine), and a reply that still cannot be read scores 0.0 with ``details["error"]`` —
never an exception, so one odd reply does not end a run. Backend failures (a wrong API key, an
unknown model) do raise: they would repeat for every case.

Judge calls are slow and usually remote, so :meth:`LlmJudge.score_batch` runs up to
``concurrency`` of them at once.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tuneloop.errors import InvalidRequest, PromptError
from tuneloop.evaluate.metrics.assertions import parse_json_output
from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel
    from tuneloop.prompts.template import PromptFile

__all__ = ["LlmJudge", "packaged_judge_prompt", "parse_verdict"]

PACKAGED_PROMPT = "judge-rubric.yaml"
LOWEST, HIGHEST = 1, 5


def packaged_judge_prompt() -> PromptFile:
    """The built-in ``judge-rubric`` prompt shipped inside the package."""
    from tuneloop.prompts.template import parse_prompt

    resource = files("tuneloop.evaluate").joinpath("prompts", PACKAGED_PROMPT)
    return parse_prompt(resource.read_text(encoding="utf-8"), Path(str(resource)))


def _first_object(reply: str) -> Any:
    """The JSON of the reply (whole or fenced), else the first ``{…}`` that decodes in it."""
    try:
        return parse_json_output(reply)
    except ValueError as exc:
        problem = exc
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", reply):
        try:
            return decoder.raw_decode(reply, match.start())[0]
        except json.JSONDecodeError:
            continue
    raise ValueError(f"the judge's reply has no JSON object ({problem})")


def parse_verdict(reply: str) -> tuple[float, str]:
    """``(score, reason)`` from a judge reply; :class:`ValueError` says what is wrong.

    ``score`` must be a number from 1 to 5 (a numeric string such as ``"4"`` is accepted);
    ``reason`` may be missing.
    """
    verdict = _first_object(reply)
    if not isinstance(verdict, dict):
        raise ValueError(f"the judge's reply is JSON but not an object: {verdict!r:.80}")
    raw = verdict.get("score")
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):  # a non-numeric string is reported below
            raw = float(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw != raw:
        raise ValueError(f"the judge's `score` is not a number: {verdict.get('score')!r}")
    if not LOWEST <= raw <= HIGHEST:
        raise ValueError(f"the judge's `score` {raw} is outside {LOWEST}-{HIGHEST}")
    reason = verdict.get("reason")
    return float(raw), reason if isinstance(reason, str) else ""


class LlmJudge:
    """A judge model grades the answer with a rubric prompt (see module docstring)."""

    name = "llm_judge"
    category: Category = "judge"

    def __init__(
        self, model: ChatModel, prompt: PromptFile, *, rubric: str = "", concurrency: int = 4
    ) -> None:
        if "answer" not in prompt.template.variables:
            raise PromptError(
                f"{prompt.path}: judge prompt '{prompt.name}' does not declare the variable "
                "`answer`, so it cannot receive the answer to grade.",
                hint="Declare `answer` (and optionally question, references, context, rubric) "
                "under `variables:`; see the packaged judge-rubric.yaml.",
            )
        self.model = model
        self.prompt = prompt
        self.rubric = rubric
        self.concurrency = concurrency

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> LlmJudge:
        reader = Params(cls.name, params)
        model_name = reader.text("model")
        rubric = reader.text("rubric", "")
        prompt_ref = reader.text("prompt", None)
        concurrency = reader.integer("concurrency", 4, minimum=1)
        reader.done()
        if context.models is None:
            raise InvalidRequest(
                "Metric `llm_judge` needs a way to find its judge model, and none was given.",
                hint="Build it with MetricContext(models=...) (the eval runner does this).",
                param="model",
            )
        return cls(
            context.models(model_name),
            _load_prompt(prompt_ref, context),
            rubric=rubric,
            concurrency=concurrency,
        )

    def _variables(self, case: EvalCase, output: str) -> dict[str, Any]:
        available = {
            "question": case.question,
            "answer": output,
            "references": "\n".join(f"- {r}" for r in case.references),
            "context": case.context or "",
            "rubric": self.rubric,
        }
        return {k: v for k, v in available.items() if k in self.prompt.template.variables}

    def score(self, case: EvalCase, output: str) -> Score:
        from tuneloop.prompts.render import render
        from tuneloop.prompts.runner import merge_params

        rendered = render(self.prompt, self._variables(case, output))
        params = merge_params(self.prompt.template.params, {})
        reply = self.model.generate(rendered.messages, params).text
        details: dict[str, Any] = {"judge": self.model.name}
        try:
            score, reason = parse_verdict(reply)
        except ValueError as exc:
            return Score(0.0, {**details, "error": str(exc), "reply": reply[:500]})
        return Score(
            (score - LOWEST) / (HIGHEST - LOWEST), {**details, "score": score, "reason": reason}
        )

    def score_batch(self, cases: Sequence[EvalCase], outputs: Sequence[str]) -> list[Score]:
        if len(cases) != len(outputs):
            raise ValueError(f"{len(cases)} cases but {len(outputs)} outputs")
        if self.concurrency == 1 or len(cases) < 2:
            return [self.score(c, o) for c, o in zip(cases, outputs, strict=True)]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            return list(pool.map(self.score, cases, outputs))


def _load_prompt(ref: str | None, context: MetricContext) -> PromptFile:
    if ref is None:
        return packaged_judge_prompt()
    if context.prompts is not None:
        return context.prompts(ref)
    from tuneloop.prompts.template import load_prompt

    path = Path(ref).expanduser()
    if not path.is_file():
        raise InvalidRequest(
            f"Metric `llm_judge`: parameter `prompt` names no prompt file: {ref!r}.",
            hint="Give the path of a prompt YAML file (relative to the working directory).",
            param="prompt",
        )
    return load_prompt(path)
