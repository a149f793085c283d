"""``fact_recall``: the share of a case's key facts that the answer states — and does not deny.

Why facts instead of overlap with a reference answer: token-F1 and ROUGE reward any answer that
shares words with the reference, so restating the question scores well (the echo baseline beat
the fine-tune on token-F1). A fact is the few words a correct answer cannot do without
("화요일", "2000원", "임산부 배려석"); restating the question rarely contains them.

How a fact is found (:func:`find_fact`), after :func:`~tuneloop.evaluate.metrics.analysis.normalise`
on both sides ("3,000원" = "3000원", "9:00" = "9시", full-width digits):

1. **Units in order.** The fact's content units (Kiwi morphemes without particles and endings;
   English words, plural-stripped) must appear in the answer in order, within one sentence, with
   at most :data:`MAX_GAP` other content units between neighbours ("임산부를 위한 배려석" holds
   "임산부 배려석"). A Hangul fact is also found as a substring of the answer with spaces removed
   (Kiwi may split a compound in one text and not the other).
2. **Polarity.** Each occurrence is *negated* when a negation governs it: after the fact, up to
   the end of its clause, 아니다 (무료가 아닙니다, 무료는 아니에요), 않다 (열지 않아요), 없다
   (주차장이 없습니다), 말다 (화요일 말고), 불가/금지; just before it or inside it, 안/못
   (안 열어요, 팁은 안 줘도); in English,
   not/no/never/without up to three words before it ("is not free", "isn't free").
   A fact that itself contains a negation ("팁을 주지 않아도") is negative: it is found only
   where the answer negates it too. An occurrence whose polarity differs from the fact's is
   reported as ``negated``, and counts as missing. An occurrence in a question sentence
   ("무료인가요?") is asked, not stated, and does not count either: an echo of the question
   states nothing.

A fact may be a list of alternatives (``[2시간권, 2000원]``: any one counts). The score is
found / all; ``details`` list ``found``, ``missing`` and ``negated`` facts (the first
alternative names a fact).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneloop.evaluate.metrics.analysis import Unit, analyse, is_question, normalise, sentences
from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score

__all__ = ["FactRecall", "Occurrence", "fact_name", "find_fact", "recall"]

Fact = tuple[str, ...]

MAX_GAP = 3
_FORWARD = 8  # units looked at after a fact for its negation
# connective endings that keep the clause going (무료이지 않다, 열지 않아요, 쉬게 되지 않아)
_CLAUSE_EC = {"지", "게", "어", "아", "어서", "아서", "어도", "아도", "도", "고는"}
_NEGATING_NOUNS = {"불가", "불가능", "금지", "불필요", "제외"}
_ENGLISH_NEGATIONS = {"not", "no", "never", "without", "nor", "neither", "none", "cannot"}
_ENGLISH_CLAUSE_ENDS = {"and", "but", "or", "so", "because", "which", "while", "although"}


def _is_negation(unit: Unit) -> bool:
    tag, form = unit.tag, unit.form
    return (
        tag == "VCN"
        or (form == "않" and tag.startswith("VX"))
        or (form == "없" and tag.startswith("VA"))
        or (form == "말" and tag.startswith(("VV", "VX")))
        or (form in ("안", "못") and tag == "MAG")
        or (form in _NEGATING_NOUNS and tag.startswith("NN"))
        or (tag == "SL" and form in _ENGLISH_NEGATIONS)
    )


def _ends_clause(unit: Unit) -> bool:
    if unit.tag in ("SF", "SP") or unit.tag.startswith("EF"):
        return True
    if unit.tag.startswith("EC"):
        return unit.form not in _CLAUSE_EC
    return unit.tag == "SL" and unit.form in _ENGLISH_CLAUSE_ENDS


def negated_at(units: Sequence[Unit], first: int, last: int) -> bool:
    """Whether a negation governs the span ``units[first..last]`` (see the module docstring)."""
    if units[first].is_latin or (units[first].tag == "SN" and units[last].is_latin):
        for unit in reversed(units[max(0, first - 3) : first]):
            if unit.tag in ("SF", "SP") or unit.form in _ENGLISH_CLAUSE_ENDS:
                break
            if _is_negation(unit):
                return True
        for unit in units[last + 1 : last + 4]:
            if _ends_clause(unit):
                break
            if unit.form in ("not", "never"):
                return True
        return False
    # 안/못 just before the fact or inside it (팁은 안 줘도: the adverb sits before the verb)
    for unit in units[max(0, first - 1) : last + 1]:
        if unit.form in ("안", "못") and unit.tag == "MAG":
            return True
    for unit in units[last + 1 : last + 1 + _FORWARD]:
        if _is_negation(unit):
            return True
        if _ends_clause(unit):
            return False
    return False


@dataclass(frozen=True)
class Occurrence:
    """Where one fact was found and whether a negation governs it there."""

    first: int
    last: int
    negated: bool


@dataclass(frozen=True)
class _Pattern:
    units: tuple[str, ...]
    merged: tuple[str, ...]
    surface: str
    negative: bool


def _pattern(fact: str) -> _Pattern:
    units = analyse(fact)
    negative = any(_is_negation(u) for u in units)
    kept = [u for u in units if u.is_content and not _is_negation(u)]
    merged: list[str] = []
    for i, unit in enumerate(kept):  # touching units as one form: the fact's compounds
        if i and unit.start == kept[i - 1].end and not unit.is_latin:
            merged[-1] += unit.form
        else:
            merged.append(unit.form)
    surface = "".join(normalise(fact).casefold().split())
    return _Pattern(tuple(u.form for u in kept), tuple(merged), surface, negative)


def _match_at(units: Sequence[Unit], at: int, form: str) -> int | None:
    """The last index of a match of ``form`` starting at ``units[at]``: the unit itself, or up to
    three touching content units that spell it (Kiwi splits 배려석 as 배려 + 석 in one sentence
    and not in another)."""
    spelled = ""
    for end in range(at, min(at + 3, len(units))):
        unit = units[end]
        if not unit.is_content or (end > at and unit.start != units[end - 1].end):
            return None
        spelled += unit.form
        if spelled == form:
            return end
        if not form.startswith(spelled):
            return None
    return None


def _unit_matches(units: Sequence[Unit], wanted: tuple[str, ...]) -> list[tuple[int, int]]:
    spans = []
    for start in range(len(units)):
        end = _match_at(units, start, wanted[0])
        if end is None:
            continue
        first = start
        for form in wanted[1:]:
            gap, position, end_next = 0, end + 1, None
            while position < len(units) and units[position].tag != "SF" and gap <= MAX_GAP:
                end_next = _match_at(units, position, form)
                if end_next is not None:
                    break
                gap += units[position].is_content
                position += 1
            if end_next is None:
                end = -1
                break
            end = end_next
        if end >= 0:
            spans.append((first, end))
    return spans


def _surface_matches(units: Sequence[Unit], text: str, surface: str) -> list[tuple[int, int]]:
    """Occurrences of ``surface`` in ``text`` with whitespace removed, as unit spans."""
    squeezed, offsets = [], []
    for i, char in enumerate(text):
        if not char.isspace():
            squeezed.append(char.casefold())
            offsets.append(i)
    joined = "".join(squeezed)
    spans = []
    at = joined.find(surface)
    while at >= 0:
        if surface[0].isdigit() and at and joined[at - 1].isdigit():  # 1시 is not in 11시
            at = joined.find(surface, at + 1)
            continue
        begin, end = offsets[at], offsets[at + len(surface) - 1] + 1
        covering = [i for i, u in enumerate(units) if u.start < end and u.end > begin]
        if covering:
            spans.append((covering[0], covering[-1]))
        at = joined.find(surface, at + 1)
    return spans


def find_fact(fact: str, answer: str, units: Sequence[Unit] | None = None) -> list[Occurrence]:
    """Every occurrence of ``fact`` in ``answer``, each with ``negated`` meaning "its polarity
    differs from the fact's" (see the module docstring). ``units`` are ``analyse(answer)``,
    passed in when many facts are looked up in one answer."""
    pattern = _pattern(fact)
    if units is None:
        units = analyse(answer)
    spans: set[tuple[int, int]] = set()
    for wanted in {pattern.units, pattern.merged}:
        if wanted:
            spans.update(_unit_matches(units, wanted))
    if len(pattern.surface) >= 2 and any("\uac00" <= c <= "\ud7a3" for c in pattern.surface):
        spans.update(_surface_matches(units, normalise(answer), pattern.surface))
    return [
        Occurrence(first, last, negated_at(units, first, last) != pattern.negative)
        for first, last in sorted(spans)
    ]


def _question_units(units: list[Unit]) -> set[int]:
    """Indices of the units in question sentences: a fact only asked about is not stated."""
    out: set[int] = set()
    position = 0
    for sentence in sentences(units):
        while units[position] is not sentence[0]:
            position += 1
        if is_question(sentence):
            out.update(range(position, position + len(sentence)))
        position += len(sentence)
    return out


def fact_name(fact: Fact) -> str:
    return fact[0] if len(fact) == 1 else " | ".join(fact)


def recall(facts: Sequence[Fact], answer: str) -> tuple[float, dict[str, list[str]]]:
    """``(share found, {"found", "missing", "negated"})`` of ``facts`` in ``answer``: a fact is
    found when one of its alternatives occurs with the right polarity somewhere; it is negated
    when it occurs only with the wrong one."""
    units = analyse(answer)
    asked = _question_units(units)
    found: list[str] = []
    missing: list[str] = []
    negated: list[str] = []
    for fact in facts:
        occurrences = [
            o
            for alternative in fact
            for o in find_fact(alternative, answer, units)
            if o.first not in asked
        ]
        if any(not o.negated for o in occurrences):
            found.append(fact_name(fact))
        else:
            missing.append(fact_name(fact))
            if occurrences:
                negated.append(fact_name(fact))
    share = len(found) / len(facts) if facts else 0.0
    return share, {"found": found, "missing": missing, "negated": negated}


def parse_facts(value: Any) -> tuple[Fact, ...] | None:
    """Facts as written in a suite or JSONL file (strings, or lists of alternative strings);
    ``None`` when ``value`` is not of that shape."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        return None
    facts: list[Fact] = []
    for item in value:
        if isinstance(item, str) and item.strip():
            facts.append((item.strip(),))
        elif (
            isinstance(item, list | tuple)
            and item
            and all(isinstance(a, str) and a.strip() for a in item)
        ):
            facts.append(tuple(a.strip() for a in item))
        else:
            return None
    return tuple(facts)


class FactRecall:
    """Share of the case's ``facts`` (or the ``facts`` parameter) stated, negation-aware."""

    name = "fact_recall"
    category: Category = "accuracy"
    calibration_threshold = 1.0

    def __init__(self, facts: Sequence[Fact] | None = None) -> None:
        self.facts = tuple(facts) if facts else None

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> FactRecall:
        reader = Params(cls.name, params)
        raw = reader.raw("facts", None)
        reader.done()
        if raw is None:
            return cls()
        facts = parse_facts(raw)
        if not facts:
            raise reader.error(
                "facts", f"must be a list of strings or lists of alternative strings, got {raw!r}."
            )
        return cls(facts)

    def score(self, case: EvalCase, output: str) -> Score:
        facts = self.facts or case.facts
        if not facts:
            return Score(
                0.0,
                {"error": f"case {case.id!r} has no facts to look for"},
            )
        value, details = recall(facts, output)
        return Score(value, dict(details))
