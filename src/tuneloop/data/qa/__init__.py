"""Question/answer pairs from documents — by rules, by an LLM, always with a grounding check.

* :mod:`~tuneloop.data.qa.grounding` — is an answer supported by its source text?
* :mod:`~tuneloop.data.qa.rules` — pairs from headings and ``키: 값`` bullets, no model needed.
* :mod:`~tuneloop.data.qa.forms` — the ``natural`` rule (several natural questions per fact)
  and the question-form mix the dataset card reports.
* :mod:`~tuneloop.data.qa.context` — retrieved passages in each example's user turn
  (retrieval-augmented fine-tuning), within a token budget, held-out passages kept out.
* :mod:`~tuneloop.data.qa.llm` — pairs a chat model writes from each chunk.
* :mod:`~tuneloop.data.qa.pipeline` — ``tuneloop data qa``: both, plus pass-through of chat logs.
"""

from __future__ import annotations

from tuneloop.data.qa.forms import FORMS, form_mix, natural_rule, question_form
from tuneloop.data.qa.grounding import (
    DEFAULT_THRESHOLD,
    Grounding,
    assess,
    grounding_score,
    is_grounded,
)
from tuneloop.data.qa.llm import generate_qa, packaged_prompt, parse_pairs, prompt_ref
from tuneloop.data.qa.pairs import QaFailure, QaResult, make_pair
from tuneloop.data.qa.pipeline import METHODS, build_qa
from tuneloop.data.qa.rules import RULES, generate_rule_qa, has_batchim, particle

RULES.setdefault("natural", natural_rule)  # forms builds on rules, so it registers here

__all__ = [
    "DEFAULT_THRESHOLD",
    "FORMS",
    "METHODS",
    "RULES",
    "Grounding",
    "QaFailure",
    "QaResult",
    "assess",
    "build_qa",
    "form_mix",
    "generate_qa",
    "generate_rule_qa",
    "grounding_score",
    "has_batchim",
    "is_grounded",
    "make_pair",
    "natural_rule",
    "packaged_prompt",
    "parse_pairs",
    "particle",
    "prompt_ref",
    "question_form",
]
