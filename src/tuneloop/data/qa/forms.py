"""Natural question forms: several ways a traveller asks for one fact, each with a one-sentence
answer — and the classifier that reports the mix of forms in a dataset.

Why: the ``kv`` and ``section`` rules ask every fact one formal way (``경복궁의 휴무일은
언제인가요?``) and every section as ``X에 대해 알려 주세요`` / ``Tell me about X`` with a
section-long answer. Users do not talk like that. The sample's chat logs ask ``경복궁 몇 시에
열어요?``, ``창덕궁 가려는데 열어요?``, ``익선동은 어떻게 가요?``, ``광장시장 일요일에도
해요?``, ``where can I buy a T-money card?`` — short, 해요체, the place first and no particle,
one intent per question. The ``natural`` rule (:func:`natural_rule`) turns each ``키: 값`` fact
whose key names an intent (hours, last entry, closing day, price, access, location, duration,
availability) — and each described list item (``- 창덕궁 후원: 오래된 나무와 …``) — into
``per_fact`` of the forms in :data:`FORMS` for that intent, picked with a seeded RNG per fact so
the same documents always give the same pairs, and answers in the same register with the fact
(``경복궁은 매주 화요일에 쉬어요.``). A fact under a qualifier (``- 3~5월: 09:00~18:00`` under
``## 운영 시간``) keeps it in the question (``경복궁 3~5월에는 몇 시에 열어요?``), so two
different answers never share one question.

:func:`question_form` classifies any question (generated, chat log or hand-written) into one
intent by keywords; the dataset card reports the share of each and of ``about`` (the "tell me
about X" form that is left).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from tuneloop.data.qa.rules import (
    Candidate,
    _category,
    _is_description,
    _is_sentence,
    _key_value,
    _outline,
    is_korean,
    particle,
)
from tuneloop.data.records import Document

__all__ = ["FORMS", "INTENTS", "Form", "form_mix", "natural_rule", "question_form"]

DEFAULT_PER_FACT = 2


@dataclass(frozen=True)
class Form:
    """One way to ask: a name (``closed.weekday``) and a template per language.

    Templates use ``{s}`` (the place, as written), ``{s_topic}`` (the place with 은/는),
    ``{p}`` (the key phrase), ``{p_subj}`` (the key with 이/가), ``{q}`` (the qualifier, e.g.
    ``3~5월``; a form using it is only chosen when there is one) and ``{when}`` (``{q}에는 ``
    or nothing).
    """

    name: str
    korean: str
    english: str


FORMS: dict[str, tuple[Form, ...]] = {
    "hours": (
        Form("hours.open", "{s} {when}몇 시에 열어요?", "What time does {s} open{en_when}?"),
        Form("hours.close", "{s} {when}몇 시까지 해요?", "When does {s} close{en_when}?"),
        Form("hours.ask", "{s} {when}운영 시간이 어떻게 돼요?", "What are {s}'s hours{en_when}?"),
    ),
    "last_entry": (
        Form("last_entry.ask", "{s} {p_subj} 몇 시예요?", "When is the last entry to {s}?"),
        Form(
            "last_entry.latest",
            "{s} 몇 시까지 들어가야 해요?",
            "How late can I go into {s}?",
        ),
    ),
    "closed": (
        Form("closed.when", "{s} 언제 쉬어요?", "When is {s} closed?"),
        Form("closed.day", "{s} 쉬는 날이 언제예요?", "Which day is {s} closed?"),
        Form("closed.every_day", "{s} 매일 열어요?", "Is {s} open every day?"),
    ),
    "price": (
        Form("price.how_much", "{s} {p} 얼마예요?", "How much is the {p} for {s}?"),
        Form("price.ask", "{s} {p_subj} 어떻게 돼요?", "What does {s} cost ({p})?"),
    ),
    "access": (
        Form("access.how", "{s} 어떻게 가요?", "How do I get to {s}?"),
        Form("access.station", "{s} 가려면 어느 역에서 내려요?", "Which station is near {s}?"),
        Form("access.exit", "{s} 몇 번 출구로 나가요?", "Which exit do I take for {s}?"),
    ),
    "location": (
        Form("location.where", "{s} 어디에 있어요?", "Where is {s}?"),
        Form("location.ask", "{s} 위치가 어디예요?", "Where can I find {s}?"),
    ),
    "duration": (
        Form("duration.how_long", "{s} {p_subj} 얼마나 돼요?", "How long is the {p} for {s}?"),
        Form("duration.time", "{s} 보려면 시간이 얼마나 걸려요?", "How much time does {s} take?"),
    ),
    "availability": (
        Form("availability.can", "{s}에 {p_subj} 돼요?", "Is {p} available at {s}?"),
        Form("availability.ask", "{s} {p} 어때요?", "What about {p} at {s}?"),
    ),
    "describe": (
        Form("describe.what", "{s_topic} 뭐예요?", "What is {s}?"),
        Form("describe.know", "{s} 관련해서 알아 둘 게 있어요?", "What should I know about {s}?"),
    ),
}
INTENTS = (*FORMS, "about", "other")
_ROUTE = re.compile(r"역|출구|정류장|호선|버스|station|exit|line|bus", re.IGNORECASE)
_GENERIC_TIME = re.compile(r"운영|관람|영업|이용|개장|시간|hours?|opening|times?", re.IGNORECASE)


def _intent(category: str | None, phrase: str, value: str) -> str | None:
    if category == "time":
        return "last_entry" if re.search(r"마감|last entry", phrase, re.IGNORECASE) else "hours"
    if category == "transport":  # a route, not a kind of taxi
        return "access" if _ROUTE.search(value) else None
    mapped = {"closed": "closed", "price": "price", "location": "location"}
    return mapped.get(category or "", category if category in FORMS else None)


def _qualifier(phrase: str) -> str:
    """What is left of a time key once the generic words go: ``3~5월 운영 시간`` → ``3~5월``."""
    return " ".join(_GENERIC_TIME.sub(" ", phrase).split())


def _usable(form: Form, intent: str, value: str, qualifier: str) -> bool:
    if intent == "access" and form.name == "access.exit":
        return "출구" in value or "exit" in value.lower()
    if intent == "access" and form.name == "access.station":
        return "역" in value or "station" in value.lower()
    if intent == "closed" and form.name == "closed.every_day":
        return not qualifier
    return True


def _korean_answer(subject: str, phrase: str, value: str, intent: str) -> str:
    value = value.rstrip(". ")
    if intent == "describe":
        return value + ("" if value.endswith((".", "!", "?")) else ".")
    if intent == "closed" and re.search(r"요일$", value):
        return f"{particle(subject, '은', '는')} {value}에 쉬어요."
    if intent == "access":
        head = particle(subject, "은", "는")
        tail = value if _is_sentence(value) else particle(value, "이에요", "예요")
        return f"{head} {tail}."
    topic = f"{subject} {particle(phrase, '은', '는')}"
    if _is_sentence(value):
        return f"{topic} {value}."
    return f"{topic} {particle(value, '이에요', '예요')}."


def _english_answer(subject: str, phrase: str, value: str, intent: str) -> str:
    value = value.rstrip(". ")
    if intent == "describe":
        return value + "."
    if intent == "closed":
        on = "" if re.match(r"(?i)(on|every|from|in|at|during)\b", value) else "on "
        return f"{subject} is closed {on}{value}."
    if intent == "access":
        return f"To get to {subject}: {value}."
    return f"For {subject}, the {phrase[:1].lower() + phrase[1:]}: {value}."


def natural_rule(
    document: Document, *, per_fact: int = DEFAULT_PER_FACT, seed: int = 0
) -> list[Candidate]:
    """``per_fact`` natural questions for every fact with an intent, and for described items.

    The forms for a fact are drawn with ``random.Random(f"{seed}|{source}|{line}")`` from the
    usable forms of its intent (all of them when there are fewer), in the order of
    :data:`FORMS`, so a fact's pairs never change while its line does not.
    """
    korean = is_korean(document.text)
    out: list[Candidate] = []
    for line, context in _outline(document):
        kv = _key_value(line)
        if kv is None:
            continue
        phrase, topic = kv.key, context.topic
        category = _category(phrase, korean)
        if category is None and topic and not _is_description(kv.value, korean):
            category = _category(topic, korean)
            phrase = f"{kv.key} {topic if korean else topic.lower()}" if category else phrase
        subject = context.subject
        intent = _intent(category, phrase, kv.value)
        if intent is None and _is_description(kv.value, korean):
            intent, subject = "describe", kv.key
        if intent is None or subject is None:
            continue
        qualifier = _qualifier(phrase) if intent == "hours" else ""
        forms = [f for f in FORMS[intent] if _usable(f, intent, kv.value, qualifier)]
        rng = random.Random(f"{seed}|{document.source}|{line.index}")
        chosen = sorted(rng.sample(range(len(forms)), min(per_fact, len(forms))))
        values = {
            "s": subject,
            "s_topic": particle(subject, "은", "는"),
            "p": phrase,
            "p_subj": particle(phrase, "이", "가"),
            "q": qualifier,
            "when": f"{qualifier}에는 " if qualifier else "",
            "en_when": f" ({qualifier})" if qualifier else "",
        }
        answer = (_korean_answer if korean else _english_answer)(subject, phrase, kv.value, intent)
        for index in chosen:
            template = forms[index].korean if korean else forms[index].english
            out.append(Candidate(template.format(**values), answer, line.index, line.offset))
    return out


_FORM_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("about", r"에 대해\s*(알려|설명|말해)|^tell me about\b|\btell me about\b"),
        ("duration", r"얼마나 (걸|돼|되)|how long|how much time"),
        ("closed", r"휴무|휴관|휴궁|쉬는 날|쉬어요|쉬나요|쉬는지|매일 열|closed|day off|every day"),
        ("last_entry", r"입장 마감|들어가야|last entry|how late"),
        ("hours", r"몇 시|언제 (열|문)|시간|열어요|여나요|문 (닫|열)|what time|hours|\bopen|close"),
        ("price", r"얼마|요금|입장료|관람료|가격|비용|how much|price|cost|fee|fare"),
        ("access", r"어떻게 가|가는 (길|방법)|출구|역에서|몇 호선|get to|exit|station|subway|bus"),
        ("location", r"어디|위치|where"),
        ("describe", r"뭐예요|무엇인가요|어떤 곳|알아 둘|what is|what should i know"),
        ("availability", r"가능|돼요\?|되나요|어때요|available|can i|what about"),
    )
)


def question_form(question: str) -> str:
    """The intent of ``question``: one of :data:`INTENTS` (``about`` is "tell me about X")."""
    for name, pattern in _FORM_PATTERNS:
        if pattern.search(question):
            return name
    return "other"


def form_mix(questions: Iterable[str]) -> dict[str, int]:
    """How many of ``questions`` fall in each intent, most common first."""
    return dict(Counter(question_form(q) for q in questions).most_common())
