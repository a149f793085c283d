"""``contradictory-instructions``: the system, user and output instructions pull different ways.

A model told 짧게 in the system message and 자세히 in the user message, or "JSON only" by
``output.format`` and 표로 정리 by the text, follows one at random — answers flip between runs.
We extract *signals* (length, language, format, counts per counter word) from each instruction
field and report pairs that cannot both hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tuneloop.prompts.lint.base import LintContext, LintIssue, Loc, Rule, Severity
from tuneloop.prompts.lint.words import KOREAN_COUNTERS, english_number, korean_number, words
from tuneloop.text.korean import Morpheme

__all__ = ["ContradictoryInstructions"]


@dataclass(frozen=True)
class _Signal:
    category: str  # "length", "language", "format" or "count:<counter>"
    value: str
    loc: Loc
    surface: str


_KO_SHORT_XR = {"간결", "간략", "간단"}
_KO_LONG_XR = {"자세", "상세"}
_KO_SHORT_MAG = {"간단히", "간략히", "짧게"}
_KO_LONG_MAG = {"자세히", "상세히", "길게"}
_KO_LANGUAGES = {
    "영어": "English", "영문": "English", "한국어": "Korean", "한글": "Korean", "국문": "Korean",
    "일본어": "Japanese", "중국어": "Chinese",
}  # fmt: skip
_KO_FORMATS = {"목록": "list", "리스트": "list", "표": "table"}
_FORMAT_FOLLOWERS = {"로", "으로", "형식", "형태"}

_EN_SHORT = {"brief", "briefly", "concise", "concisely", "succinct", "succinctly", "short"}
_EN_LONG = {"detailed", "thorough", "thoroughly", "lengthy", "comprehensive", "elaborate"}
_EN_LANGUAGES = {
    "english": "English",
    "korean": "Korean",
    "japanese": "Japanese",
    "chinese": "Chinese",
}
_EN_COUNTERS = {
    "place", "item", "sentence", "word", "bullet", "point", "spot", "restaurant", "option",
    "recommendation", "attraction", "paragraph", "line",
}  # fmt: skip

# Format pairs that cannot both hold: JSON is none of the others, a list is not a table.
_FORMAT_CONFLICTS = {
    frozenset({"json", "list"}),
    frozenset({"json", "table"}),
    frozenset({"json", "markdown"}),
    frozenset({"list", "table"}),
}

_FIXES = {
    "length": "Decide on one answer length and say it once (3문장 이내 / at most 3 sentences).",
    "language": "Say the answer language once, in the system instruction.",
    "format": "Make the text agree with `output.format` (or change `output.format`).",
    "count": "Use one number (or a variable such as {{ count }}) everywhere.",
}


def _word(text: str, m: Morpheme) -> str:
    """The space-delimited word holding ``m`` (짧 → 짧게), for messages."""
    start = text.rfind(" ", 0, m.start) + 1
    end = min(
        (i for i in (text.find(" ", m.end), text.find("\n", m.end)) if i >= 0), default=len(text)
    )
    return text[start:end].strip(".,!?;:\"'()")


def _korean_signals(loc: Loc, text: str, ms: Sequence[Morpheme]) -> Iterable[_Signal]:
    for i, m in enumerate(ms):
        nxt = ms[i + 1] if i + 1 < len(ms) else None
        after = ms[i + 2] if i + 2 < len(ms) else None
        surface = _word(text, m)
        if (m.tag == "MAG" and m.form in _KO_SHORT_MAG) or (m.tag == "VA" and m.form == "짧"):
            yield _Signal("length", "short", loc, surface)
        elif (m.tag == "MAG" and m.form in _KO_LONG_MAG) or (m.tag == "VA" and m.form == "길"):
            yield _Signal("length", "long", loc, surface)
        elif m.tag == "XR" and nxt is not None and nxt.tag == "XSA":
            if m.form in _KO_SHORT_XR:
                yield _Signal("length", "short", loc, surface)
            elif m.form in _KO_LONG_XR:
                yield _Signal("length", "long", loc, surface)
        elif m.tag.startswith("NN") and m.form in _KO_LANGUAGES:
            # 영어로 답하세요 is an instruction; 영어로 된 이름 only describes content.
            instructs = nxt is not None and nxt.form in ("로", "으로")
            if instructs and not (after is not None and after.form == "되"):
                yield _Signal("language", _KO_LANGUAGES[m.form], loc, surface)
        elif m.tag.startswith("NN") and m.form in _KO_FORMATS:
            if nxt is not None and nxt.form in _FORMAT_FOLLOWERS:
                yield _Signal("format", _KO_FORMATS[m.form], loc, surface)
        elif m.tag.startswith("NN") and m.form == "마크다운":
            yield _Signal("format", "markdown", loc, m.form)
        elif nxt is not None and nxt.form in KOREAN_COUNTERS and nxt.tag.startswith("NN"):
            value = korean_number(m)
            if value is not None:
                yield _Signal(f"count:{nxt.form}", f"{value:g}", loc, text[m.start : nxt.end])


def _english_signals(loc: Loc, text: str) -> Iterable[_Signal]:
    ws = words(text)
    for i, w in enumerate(ws):
        prev = ws[i - 1] if i else ""
        nxt = ws[i + 1] if i + 1 < len(ws) else ""
        if w in _EN_SHORT:
            yield _Signal("length", "short", loc, w)
        elif w in _EN_LONG or (w == "detail" and prev == "in"):
            yield _Signal("length", "long", loc, w)
        elif w in _EN_LANGUAGES and prev == "in":
            yield _Signal("language", _EN_LANGUAGES[w], loc, f"in {w}")
        elif w == "json":
            yield _Signal("format", "json", loc, "JSON")
        elif w == "markdown":
            yield _Signal("format", "markdown", loc, "Markdown")
        elif w in ("bulleted", "numbered") or (w == "bullet" and nxt in ("points", "list")):
            yield _Signal("format", "list", loc, w)
        elif w == "list" and prev in ("a", "as"):
            yield _Signal("format", "list", loc, f"{prev} list")
        elif w == "table" and prev in ("a", "as"):
            yield _Signal("format", "table", loc, f"{prev} table")
        else:
            value = english_number(w)
            noun = nxt[:-1] if nxt.endswith("s") else nxt
            if value is not None and noun in _EN_COUNTERS:
                yield _Signal(f"count:{noun}", f"{value:g}", loc, f"{w} {nxt}")


def _conflict(a: _Signal, b: _Signal) -> bool:
    if a.category != b.category or a.value == b.value:
        return False
    if a.category == "format":
        return frozenset({a.value, b.value}) in _FORMAT_CONFLICTS
    if a.category.startswith("count:"):
        return a.loc != b.loc  # 3곳 추천, 그중 1곳은 … within one field can be deliberate
    return True


class ContradictoryInstructions(Rule):
    id = "contradictory-instructions"
    severity = Severity.WARNING
    description = (
        "System, user and output instructions contradict each other: 짧게 vs 자세히, brief vs "
        "detailed, 영어로 vs 한국어로, output.format json vs 목록/표/markdown, 3곳 vs 5곳."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        signals: list[_Signal] = []
        fmt = ctx.prompt.template.output.format
        if fmt != "text":  # first, so a conflict is reported at the text that disagrees
            signals.append(_Signal("format", fmt, ("output", "format"), f"output.format: {fmt}"))
        for loc, text in ctx.instruction_fields():
            signals += _korean_signals(loc, text, ctx.morphemes(text))
            signals += _english_signals(loc, text)
        reported: set[tuple[str, frozenset[str]]] = set()
        for i, first in enumerate(signals):
            for second in signals[i + 1 :]:
                key = (first.category, frozenset({first.value, second.value}))
                if key in reported or not _conflict(first, second):
                    continue
                reported.add(key)
                category = first.category.split(":")[0]
                yield self.issue(
                    ctx,
                    second.loc,
                    f"'{second.surface}' ({second.value}) contradicts '{first.surface}' "
                    f"({first.value}) at {ctx.where(*first.loc)}.",
                    _FIXES[category],
                )
