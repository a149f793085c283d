"""Grounding metrics for retrieval-augmented answers: ``faithfulness`` (does the answer say only
what its sources say?) and ``context_recall`` (did retrieval find what the answer needs?).

Both read ``case.sources``, the retrieved passages the model was given (numbered ``[1]``, ``[2]``
… in the prompt, so a source id here is its position + 1). Why lexical and not an NLI model or an
LLM judge: the checks must be deterministic, cheap enough to run on every case of every run on a
CPU, and Korean-aware; the failures that matter for a travel assistant are a wrong hour, price,
day, station or exit number, or a flipped "무료/무료가 아닙니다" — all of which are *terms* that
either are or are not in the passage, with a polarity. The matching is ``fact_recall``'s
(:func:`tuneloop.evaluate.metrics.facts.find_fact`): normalised numbers ("3,000원" = "3000원",
"9:00" = "9시"), particles ignored, negation-aware — one mechanism for both stages.

``faithfulness`` — the share of the answer's *checkable* sentences that some single source
supports. Sentences come from :func:`~tuneloop.evaluate.metrics.analysis.sentences` (Kiwi's
sentence ends for Korean). A sentence's checkable terms are its numbers with their unit (3000원,
4호선, 5번, 9시), its names (proper nouns such as 경복궁; capitalised Latin words such as AREX) —
:func:`~tuneloop.evaluate.metrics.agreement.key_terms` — plus days (화요일, weekends) and the
words that state a cost or permission (무료, 유료, free, closed …: :data:`CLAIM_WORDS`). A sentence
is **supported** when one source contains every one of its terms with the same polarity as the
answer: a source saying "무료가 아닙니다" does not support "무료입니다", and vice versa. A sentence
**without checkable terms** (greetings, "도움이 되었길 바랍니다", "Enjoy your trip!") and a
**question** (asking back) are *neutral*: they neither count for nor against the answer. An answer
with no checkable sentence scores 1.0 (it claims nothing the sources contradict; ``fact_recall``
is the metric that asks whether it says anything useful). A case **without sources** is not
scored: 1.0 with ``details["skipped"]``, as the other metrics skip, so reports leave it out
rather than counting a 0.

Known limits, by design of a term check: a sentence that recombines supported terms into a false
claim within one passage ("경복궁은 화요일에도 엽니다" against "경복궁은 화요일 휴무") is
supported; a sentence whose negation moves to another word ("화요일에 열지 않아요" against
"화요일 휴무") counts as unsupported, exactly as ``fact_recall`` counts it missing; an answer in
another language than its sources (English about Korean passages) matches only on numbers and
Latin names.

``context_recall`` — by the first rule the case allows (``details["rule"]`` names it):

1. ``facts``: the share of ``case.facts`` that some source states (right polarity);
2. ``source``: with a gold document in ``case.meta["source"]`` (the held-out questions carry
   one), 1.0 when any source comes from that document, else 0.0;
3. ``key_terms``: the share of the best reference's numbers and names found in the sources.

A case without sources is skipped (as for ``faithfulness``); so is one with neither facts, a gold
document nor references with key terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneloop.evaluate.metrics.analysis import Unit, analyse, is_question, normalise, sentences
from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score
from tuneloop.text.retrieval import Hit

__all__ = [
    "CLAIM_WORDS",
    "ContextRecall",
    "Faithfulness",
    "SentenceVerdict",
    "check_sentences",
    "sentence_terms",
]

DAY_WORDS = frozenset(
    {"월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일", "주말", "평일"}
    | {"공휴일", "명절", "설날", "추석", "monday", "tuesday", "wednesday", "thursday", "friday"}
    | {"saturday", "sunday", "weekend", "weekday", "holiday"}
)
# words whose presence or negation is the claim itself (무료 vs 무료가 아닙니다)
CLAIM_WORDS = frozenset(
    {"무료", "유료", "휴무", "휴관", "무휴", "할인", "현금", "카드", "예약", "환승", "직통"}
    | {"free", "closed", "open", "cash", "card", "reservation", "transfer", "direct"}
)


_ENGLISH_FILLER = frozenset(
    {"about", "above", "after", "again", "along", "although", "always", "another", "around"}
    | {"because", "before", "being", "below", "between", "could", "during", "every", "first"}
    | {"great", "happy", "hello", "helps", "hopefully", "maybe", "might", "other", "please"}
    | {"really", "should", "since", "still", "thank", "thanks", "their", "there", "these"}
    | {"thing", "things", "those", "through", "today", "under", "until", "usually", "where"}
    | {"which", "while", "would", "wonderful", "enjoy"}
)
MIN_WORD_SHARE = 0.5


def _skipped(why: str) -> Score:
    return Score(1.0, {"skipped": why})


@dataclass(frozen=True)
class _Source:
    """One retrieved passage, analysed once per case."""

    number: int  # 1-based: the id the prompt shows
    where: str
    text: str
    units: list[Unit]


def _sources(hits: Sequence[Hit]) -> list[_Source]:
    out = []
    for number, hit in enumerate(hits, start=1):
        passage = hit.passage
        # the document's heading names what the passage is about (경복궁 in its hours section)
        text = f"{passage.title}\n{passage.text}" if passage.title else passage.text
        out.append(_Source(number, passage.where, text, _analysed(text)))
    return out


def sentence_terms(sentence: str) -> list[str]:
    """The key terms of one sentence (module docstring), in order, without repeats."""
    from tuneloop.evaluate.metrics.agreement import key_terms

    terms = key_terms(sentence)
    for unit in analyse(sentence):
        claim = unit.form in DAY_WORDS or unit.form in CLAIM_WORDS
        if claim and not any(unit.form in t.casefold() for t in terms):
            terms.append(unit.form)
    return terms


def sentence_words(sentence: str, terms: Sequence[str]) -> list[str]:
    """The sentence's other content words: Korean nouns of two or more syllables, English words
    of five or more letters that are not courtesy or function words, not already in ``terms``."""
    seen = {t.casefold() for t in terms}
    words: list[str] = []
    for unit in analyse(sentence):
        if unit.is_latin:
            keep = len(unit.form) >= 5 and unit.form not in _ENGLISH_FILLER
        else:
            keep = unit.tag.startswith(("NNG", "NNP")) and len(unit.form) >= 2
        if keep and unit.form not in seen and not any(unit.form in t for t in seen):
            seen.add(unit.form)
            words.append(unit.form)
    return words


def _analysed(text: str) -> list[Unit]:
    """:func:`analyse`, with a number Kiwi read together with a sentence's full stop ("Terminal
    2." → ``2.``) split back into the number and the stop."""
    units: list[Unit] = []
    for unit in analyse(text):
        if unit.tag == "SN" and len(unit.form) > 1 and unit.form.endswith("."):
            units.append(Unit(unit.form[:-1], "SN", unit.start, unit.end - 1))
            units.append(Unit(".", "SF", unit.end - 1, unit.end))
        else:
            units.append(unit)
    return units


def _polarities(term: str, text: str, units: Sequence[Unit]) -> set[bool]:
    """The polarities (True: negated) with which ``term`` occurs in ``text``; a number with its
    unit must occur as written together (3번 is not in "3호선 … 5번")."""
    from tuneloop.evaluate.metrics.facts import find_fact

    found = find_fact(term, text, units)
    if term[:1].isdigit():
        width = len(analyse(term))
        found = [o for o in found if o.last - o.first < width]
    return {o.negated for o in found}


@dataclass(frozen=True)
class SentenceVerdict:
    """One answer sentence: ``status`` is supported, unsupported or neutral; ``sources`` the ids
    of the sources that support it; ``missing`` the terms no source holds with the answer's
    polarity (for an unsupported sentence: those of the closest source)."""

    text: str
    status: str
    terms: tuple[str, ...] = ()
    sources: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()


def _support(
    span: str, terms: list[str], words: list[str], sources: list[_Source], *, need_words: bool
) -> tuple[list[int], list[str]]:
    """``(ids of the sources that support span, what the closest source lacks)``: a source
    supports it when it holds every term with the answer's polarity, states none of the words
    with the opposite one, and — with ``need_words`` — holds at least half of the words."""
    units = _analysed(span)
    wanted = {t: _polarities(t, span, units) or {False} for t in [*terms, *words]}
    supporting: list[int] = []
    closest: list[str] = [*terms, *words]
    for source in sources:
        missing = [t for t in terms if not wanted[t] & _polarities(t, source.text, source.units)]
        contradicted, lacking = [], []
        for word in words:
            found = _polarities(word, source.text, source.units)
            if found and not wanted[word] & found:
                contradicted.append(word)
            elif not found:
                lacking.append(word)
        enough = not need_words or len(lacking) <= (1 - MIN_WORD_SHARE) * len(words)
        if not missing and not contradicted and enough:
            supporting.append(source.number)
        else:
            gaps = missing + contradicted + (lacking if need_words else [])
            if len(gaps) < len(closest):
                closest = gaps
    return supporting, closest


def _parts(text: str, units: Sequence[Unit]) -> list[str]:
    """The comma- or semicolon-separated parts of one sentence's text."""
    cuts = [u for u in units if u.tag == "SP" and u.form in (",", ";", "，", "、")]
    parts, begin = [], 0
    for cut in cuts:
        parts.append(text[begin : cut.start])
        begin = cut.end
    parts.append(text[begin:])
    return [p.strip() for p in parts if p.strip()]


def _support_by_parts(span: str, sources: list[_Source]) -> list[int]:
    """The sources that support each comma-separated part of ``span`` with key terms, when
    there are several and each is supported by one ("경복궁은 화요일에, 덕수궁은 월요일에 쉬어요"
    draws on two passages); empty otherwise."""
    supported: list[list[int]] = []
    for part in _parts(span, _analysed(span)):
        terms = sentence_terms(part)
        if terms:
            found, _ = _support(part, terms, sentence_words(part, terms), sources, need_words=False)
            supported.append(found)
    if len(supported) < 2 or not all(supported):
        return []
    return sorted({number for found in supported for number in found})


def check_sentences(answer: str, hits: Sequence[Hit]) -> list[SentenceVerdict]:
    """Every sentence of ``answer`` judged against ``hits`` (see the module docstring)."""
    sources = _sources(hits)
    text = normalise(answer)
    verdicts = []
    for sentence in sentences(_analysed(answer)):
        spoken = [u for u in sentence if u.tag != "SF"]
        shown = text[sentence[0].start : sentence[-1].end].strip()
        if not spoken or is_question(sentence):
            verdicts.append(SentenceVerdict(shown, "neutral"))
            continue
        span = text[spoken[0].start : spoken[-1].end]
        terms = sentence_terms(span)
        words = sentence_words(span, terms)
        if terms:
            supporting, closest = _support(span, terms, words, sources, need_words=False)
            if not supporting:
                supporting = _support_by_parts(span, sources)
        elif len(words) >= 2:
            supporting, closest = _support(span, [], words, sources, need_words=True)
        else:
            verdicts.append(SentenceVerdict(shown, "neutral"))
            continue
        verdicts.append(
            SentenceVerdict(
                shown,
                "supported" if supporting else "unsupported",
                (*terms, *words),
                tuple(supporting),
                () if supporting else tuple(closest),
            )
        )
    return verdicts


class Faithfulness:
    """Share of the answer's checkable sentences that one of ``case.sources`` supports."""

    name = "faithfulness"
    category: Category = "relevance"
    calibration_threshold = 1.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Faithfulness:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        if not case.sources:
            return _skipped("the case has no sources: the prompt retrieved nothing")
        verdicts = check_sentences(output, case.sources)
        checked = [v for v in verdicts if v.status != "neutral"]
        supported = [v for v in checked if v.status == "supported"]
        details: dict[str, Any] = {
            "sentences": len(verdicts),
            "checked": len(checked),
            "supported": [{"sentence": v.text, "sources": list(v.sources)} for v in supported],
            "unsupported": [
                {"sentence": v.text, "missing": list(v.missing)}
                for v in checked
                if v.status == "unsupported"
            ],
            "neutral": [v.text for v in verdicts if v.status == "neutral"],
        }
        if not checked:
            return Score(1.0, {**details, "note": "no sentence states a checkable term"})
        return Score(len(supported) / len(checked), details)


def _gold_matches(source: str, gold: str) -> bool:
    """``docs/a.md`` matches ``docs/a.md``, ``a.md`` and ``examples/x/docs/a.md``."""
    a, b = source.replace("\\", "/").strip("/"), gold.replace("\\", "/").strip("/")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


class ContextRecall:
    """Whether the sources hold what the reference needs: facts, gold document or key terms."""

    name = "context_recall"
    category: Category = "relevance"
    calibration_threshold = 1.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> ContextRecall:
        Params(cls.name, params).done()
        return cls()

    def score(self, case: EvalCase, output: str) -> Score:
        if not case.sources:
            return _skipped("the case has no sources: the prompt retrieved nothing")
        sources = _sources(case.sources)
        if case.facts:
            return self._terms("facts", case.facts, sources)
        gold = case.meta.get("source")
        if isinstance(gold, str) and gold.strip():
            found = [
                hit_number
                for hit_number, hit in enumerate(case.sources, start=1)
                if _gold_matches(hit.passage.source, gold)
            ]
            return Score(
                1.0 if found else 0.0,
                {"rule": "source", "gold": gold, "sources": found, "retrieved": _where(sources)},
            )
        from tuneloop.evaluate.metrics.agreement import key_terms

        best: Score | None = None
        for reference in case.references:
            terms = key_terms(reference)
            if terms:
                score = self._terms("key_terms", [(t,) for t in terms], sources)
                if best is None or score.value > best.value:
                    best = score
        if best is None:
            return _skipped("the case has no facts, gold source or reference key terms")
        return best

    @staticmethod
    def _terms(rule: str, facts: Sequence[tuple[str, ...]], sources: list[_Source]) -> Score:
        from tuneloop.evaluate.metrics.facts import fact_name

        found: dict[str, list[int]] = {}
        missing: list[str] = []
        for fact in facts:
            holders = [
                s.number
                for s in sources
                if any(False in _polarities(alt, s.text, s.units) for alt in fact)
            ]
            if holders:
                found[fact_name(fact)] = holders
            else:
                missing.append(fact_name(fact))
        return Score(
            len(found) / len(facts),
            {"rule": rule, "found": found, "missing": missing, "retrieved": _where(sources)},
        )


def _where(sources: list[_Source]) -> list[str]:
    return [s.where for s in sources]
