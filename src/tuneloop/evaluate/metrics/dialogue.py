"""What the assistant *does* in a turn: ask back which place or time the user means
(``asks_back``), decline an out-of-domain request and say what it can help with (``refusal``,
also registered as ``redirects``), answer in the right language (``language_match``).

Why rules over morphemes rather than a regex or a judge: the old checks were ``[?？]`` and
"contains 서울", and restating the question passed both ("거기 주차 돼요?" has a question mark).
The rules below look at what a sentence is (interrogative ending or request, a *which/what/where*
word, a decline of help) and at whether it is new relative to the question, and they are checked
against labelled Korean and English answers (``tuneloop eval calibrate METRIC``; figures in
docs/eval.md). They need no model, so every run can use them; ``llm_judge`` with a Korean
rubric remains the tool for behaviour that rules cannot see.

* ``asks_back`` passes when some sentence of the answer is a clarifying question: it asks
  (``?``, an interrogative ending such as -나요/-ᆫ가요/-까요, or a request such as 알려 주세요,
  "tell me", "let me know") *about which one* (어느, 어떤, 어디, 무슨, 무엇, which, what, where …,
  or 말씀하시는 / "do you mean"), is not a generic follow-up ("anything else?", 더 궁금한 점), and
  at least :data:`NEW_SHARE` of its content units are not in the user's question — so an echo
  of "그 시장은 몇 시에 문 닫아요?" is not asking back.
* ``refusal`` passes when the answer declines — Korean: a help/answer verb (돕다, 답하다, 안내하다,
  다루다 …) with an inability (-ᆯ 수 없다, 어렵다, 못, 않다), a scope restricted with 만
  (서울 여행만 도와드려요) or 범위를 벗어나다; English: "can't help", "only help with", "outside
  my scope" … — *and* points to what it can do (it names Seoul / 서울 / travel / 여행).
* ``language_match`` compares the answer's main language with the expected one (``expected``,
  else the question's): words are counted, not letters, words in parentheses are ignored
  ("Gyeongbokgung (경복궁)"), and in Korean text capitalised Latin words are names (DDP, KTX,
  Line 2), not English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tuneloop.evaluate.metrics.analysis import (
    Unit,
    analyse,
    content,
    is_question,
    normalise,
    sentences,
)
from tuneloop.evaluate.metrics.base import Category, EvalCase, MetricContext, Params, Score

__all__ = ["AsksBack", "LanguageMatch", "Refusal", "main_language"]

NEW_SHARE = 0.5

_WH_KOREAN = {"어느", "어떤", "어디", "무슨", "무엇", "뭐", "어떻", "누구", "언제", "몇"}
_WH_ENGLISH = {"which", "what", "where", "who", "whom", "when"}
_CLARIFY_KOREAN = {"말씀", "말하", "가리키", "뜻하"}
_CLARIFY_ENGLISH = re.compile(
    r"\b(do you mean|did you mean|are you asking|you mean|referring to"
    r"|are you (?:thinking|talking))\b"
)
_GENERIC = re.compile(r"\b(else|more questions?|anything more)\b|더 궁금|또 궁금|다른 궁금|더 필요")
_REQUEST_ENGLISH = re.compile(
    r"\b(tell me|let me know|could you (?:tell|say|share)|please (?:tell|say|share))\b"
)


def _asks(sentence: Sequence[Unit], text: str) -> bool:
    """Whether the sentence asks: a question mark, an interrogative ending, or a request."""
    if is_question(list(sentence)):
        return True
    forms = [u.form for u in sentence]
    for i, unit in enumerate(sentence):  # 알려 주세요, 말씀해 주세요: a verb of telling + 주다
        if (
            unit.form == "주"
            and unit.tag.startswith(("VX", "VV"))
            and any(f in ("알리", "말씀", "말하", "하") for f in forms[max(0, i - 3) : i])
        ):
            return True
    return bool(_REQUEST_ENGLISH.search(text.casefold()))


def _asks_which(sentence: Sequence[Unit], text: str) -> bool:
    lowered = text.casefold()
    if _GENERIC.search(lowered):
        return False
    forms = {u.form for u in sentence}
    return bool(
        forms & _WH_KOREAN
        or forms & _WH_ENGLISH
        or forms & _CLARIFY_KOREAN
        or _CLARIFY_ENGLISH.search(lowered)
    )


def _new_share(sentence: Sequence[Unit], asked: set[str]) -> float:
    mine = content(list(sentence))
    if not mine:
        return 0.0
    return sum(1 for form in mine if form not in asked) / len(mine)


def clarifying_questions(question: str, answer: str) -> list[str]:
    """The sentences of ``answer`` that ask the user which place/time/thing they mean."""
    units = analyse(answer)
    text = normalise(answer)
    asked = set(content(analyse(question)))
    found = []
    for sentence in sentences(units):
        piece = text[sentence[0].start : sentence[-1].end]
        if (
            _asks(sentence, piece)
            and _asks_which(sentence, piece)
            and _new_share(sentence, asked) >= NEW_SHARE
        ):
            found.append(piece)
    return found


class _Verdict:
    category: Category = "assertion"
    name = ""
    calibration_threshold = 1.0

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> Any:
        Params(cls.name, params).done()
        return cls()


class AsksBack(_Verdict):
    """Passes when the answer asks which place, time or thing the user means."""

    name = "asks_back"

    def score(self, case: EvalCase, output: str) -> Score:
        found = clarifying_questions(case.question, output)
        return Score(float(bool(found)), {"clarifying": found[:3]}, passed=bool(found))


_HELP = {
    "돕",
    "도와주",
    "도움",
    "답",
    "답하",
    "답변",
    "대답",
    "안내",
    "다루",
    "알리",
    "추천",
    "제공",
}
_UNABLE_AFTER_SU = {"없"}
_SCOPE_NOUNS = {"서울", "여행", "관광", "질문", "주제", "분야"}
_DECLINE_ENGLISH = re.compile(
    r"\b(can not|unable to|not able to|will not be able to|am not able to)\b[^.!?]{0,50}"
    r"\b(help|answer|assist|provide|write|do|give|cover|handle|predict|book)\b"
    r"|\bonly (?:help|answer|assist|talk|cover|handle|able to help|provide)\b"
    r"|\bcan only\b|\b(outside|beyond) (?:my|the|what i)\b|\bnot (?:something|a topic) i\b"
    r"|\bi am (?:just |only )?(?:a |an )?(?:seoul )?travel (?:assistant|guide|helper)\b"
)
_SCOPE_ENGLISH = re.compile(r"\b(seoul|travel|trip|sightseeing)\b")


def _declines_korean(units: Sequence[Unit]) -> bool:
    for sentence in sentences(list(units)):
        forms = [u.form for u in sentence]
        tags = [u.tag for u in sentence]
        has_help = any(f in _HELP for f in forms)
        for i, (form, tag) in enumerate(zip(forms, tags, strict=True)):
            unable = (
                (
                    form in _UNABLE_AFTER_SU
                    and tag.startswith("VA")
                    and "수" in forms[max(0, i - 2) : i]
                )
                or (form == "어렵" and tag.startswith("VA"))
                or (form == "못" and tag == "MAG")
                or (form == "않" and tag.startswith("VX"))
                or tag == "VCN"  # 제가 안내하는 지역이 아니에요
            )
            if unable and has_help:
                return True
            # 서울 여행만 도와드려요 / 여행 안내만 / 서울 여행에 관한 질문만 답할 수 있어요
            if (
                form == "만"
                and tag.startswith("JX")
                and i
                and tags[i - 1].startswith("NN")
                and any(f in _HELP for f in forms[i + 1 :])
            ):
                return True
            if form == "범위" and any(f in ("벗어나", "밖") for f in forms[i + 1 :]):
                return True
            if form in ("관계", "관련") and i + 1 < len(forms) and forms[i + 1] == "없":
                return True
    return False


def declines(answer: str) -> bool:
    """Whether ``answer`` declines to help (see the module docstring)."""
    text = normalise(answer).casefold()
    if _DECLINE_ENGLISH.search(text):
        return True
    return _declines_korean(analyse(answer))


def offers_scope(answer: str) -> bool:
    """Whether ``answer`` says what it can help with (Seoul travel)."""
    text = normalise(answer).casefold()
    return bool(_SCOPE_ENGLISH.search(text)) or "서울" in text or "여행" in text


class Refusal(_Verdict):
    """Passes when the answer declines an out-of-domain request and points to Seoul travel."""

    name = "refusal"

    def score(self, case: EvalCase, output: str) -> Score:
        declined, scope = declines(output), offers_scope(output)
        passed = declined and scope
        return Score(float(passed), {"declines": declined, "offers_scope": scope}, passed=passed)


class Redirects(Refusal):
    """The old name of ``refusal`` (same classifier), kept so existing suites keep working."""

    name = "redirects"


# --------------------------------------------------------------------------- language

_PARENTHESES = re.compile(r"\([^()]*\)|（[^（）]*）|\[[^\[\]]*\]")
LANGUAGES = ("ko", "en")


def _script_counts(word: str) -> tuple[int, int, int]:
    hangul = latin = other = 0
    for char in word:
        code = ord(char)
        if 0xAC00 <= code <= 0xD7A3 or 0x3130 <= code <= 0x318F:
            hangul += 1
        elif char.isascii() and char.isalpha():
            latin += 1
        elif char.isalpha():
            other += 1
    return hangul, latin, other


def language_counts(text: str) -> dict[str, int]:
    """Words of ``text`` by language: ``ko`` (words with Hangul), ``en`` (Latin words; in text
    with Korean words, only lower-case ones — capitalised ones are names), ``other``."""
    words = _PARENTHESES.sub(" ", normalise(text)).split()
    scripts = [(w, *_script_counts(w)) for w in words]
    korean = sum(1 for _, h, _, _ in scripts if h)
    english = 0
    other = 0
    starts = True  # the first word of a sentence is capitalised whatever it is
    for word, hangul, latin, rest in scripts:
        first, starts = starts, word[-1:] in ".!?"
        if hangul:
            continue
        if rest > latin:
            other += 1
        elif latin:
            letters = "".join(c for c in word if c.isalpha())
            if korean and ((letters[:1].isupper() and not first) or len(letters) <= 1):
                continue
            english += 1
    return {"ko": korean, "en": english, "other": other}


def main_language(text: str) -> str:
    """``ko``, ``en``, ``other`` or ``none`` (no words): the language most words are in, a
    Korean word counting 1.5 English ones (an eojeol carries a word and its particles)."""
    counts = language_counts(text)
    ko, en, other = counts["ko"] * 1.5, counts["en"], counts["other"]
    if not (ko or en or other):
        return "none"
    if other > max(ko, en):
        return "other"
    return "ko" if ko >= en else "en"


class LanguageMatch:
    """1.0 when the answer's main language is the expected one (``expected``, else the
    question's); a question without words is skipped (1.0)."""

    name = "language_match"
    category: Category = "fluency"
    calibration_threshold = 1.0

    def __init__(self, expected: str | None = None) -> None:
        self.expected = expected

    @classmethod
    def from_params(cls, params: Mapping[str, Any], context: MetricContext) -> LanguageMatch:
        reader = Params(cls.name, params)
        expected = reader.choice("expected", (*LANGUAGES, "question"), "question")
        reader.done()
        return cls(None if expected == "question" else expected)

    def score(self, case: EvalCase, output: str) -> Score:
        wanted = self.expected or main_language(case.question)
        answered = main_language(output)
        details = {"expected": wanted, "answer": answered}
        if wanted == "none":
            return Score(1.0, {**details, "skipped": "the question has no words"})
        return Score(float(wanted == answered), details)
