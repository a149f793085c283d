"""What the prompt asks for: an open-ended request (``vague-request``) and a missing or empty
system instruction (``missing-system``).

Why these matter: "서울 관광지 알려줘" leaves the model to guess how many places, in what shape
and by what standard — answers then vary run to run and evaluation has nothing to hold them to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise

from tuneloop.prompts.lint.base import LintContext, LintIssue, Rule, Severity
from tuneloop.prompts.lint.words import VAGUE_COUNTS, english_number, korean_quantity, words
from tuneloop.text.korean import Morpheme, has_hangul

__all__ = ["MissingSystem", "VagueRequest"]

# Requests that are open-ended by nature (recommend, introduce) …
_KO_STRONG = {"추천", "소개"}
# … and ones that are open-ended only with an open object (관광지 알려줘, not 입장료 알려줘).
_KO_WEAK = {"알리", "말하", "가르치"}
_KO_OPEN_OBJECTS = {
    "곳", "장소", "명소", "관광지", "여행지", "맛집", "식당", "카페", "코스", "정보", "것", "팁",
    "방법", "활동", "음식", "숙소", "호텔", "축제", "볼거리", "먹거리",
}  # fmt: skip
_KO_FORMAT = {
    "목록", "리스트", "표", "번호", "항목", "형식", "형태", "개조식", "글머리", "json", "markdown",
    "마크다운", "문장", "단락", "문단", "줄",
}  # fmt: skip
_KO_VAGUE_ADJ = {"좋", "괜찮", "멋지", "멋있", "재미있", "재밌", "훌륭하"}
_KO_CRITERIA = {
    "기준", "위주", "이상", "이하", "이내", "미만", "근처", "주변", "중심", "평점", "예산", "가격",
    "무료", "가성비", "인기", "전용",
}  # fmt: skip

_EN_STRONG = {"recommend", "suggest", "recommendations", "suggestions", "recommendation"}
_EN_WEAK = {("tell", "me"), ("tell", "us"), ("give", "me"), ("show", "me"), ("what", "are")}
_EN_OPEN = {
    "about", "places", "spots", "things", "ideas", "options", "information", "info", "tips",
    "restaurants", "attractions", "some", "any", "few",
}  # fmt: skip
_EN_FORMAT = {
    "list", "table", "json", "markdown", "bullet", "bullets", "bulleted", "numbered", "paragraph",
    "paragraphs", "sentence", "sentences", "csv", "yaml",
}  # fmt: skip
_EN_VAGUE_ADJ = {"good", "nice", "great", "cool", "interesting", "best", "fun", "awesome", "decent"}
_EN_CRITERIA = {
    "for", "with", "under", "within", "near", "rated", "than", "budget", "cheap", "free", "open",
    "that", "which", "where",
}  # fmt: skip

_FIX_KO = (
    "몇 개를, 어떤 형식으로, 어떤 기준으로 원하는지 쓰세요 "
    "(예: 서울의 유명한 관광지 3곳을 번호 목록으로 추천해 주세요)."
)
_FIX_EN = (
    "Say how many, in what format and by which criteria (e.g. Recommend three famous places in "
    "Seoul as a numbered list)."
)


def _is_verb(m: Morpheme, stems: set[str]) -> bool:
    return m.tag.startswith("VV") and m.form in stems


def _korean_problems(text: str, ms: Sequence[Morpheme]) -> tuple[str, list[str]] | None:
    """(the request word, what it lacks), or ``None`` when the text is no open-ended request."""
    cue = next((m for m in ms if m.tag == "NNG" and m.form in _KO_STRONG), None)
    if cue is None:
        weak = next((m for m in ms if _is_verb(m, _KO_WEAK)), None)
        if weak is None:  # 말해 줘 is 말/NNG + 하/XSV
            weak = next(
                (a for a, b in pairwise(ms) if a.form == "말" and b.tag == "XSV"),
                None,
            )
        opened = any(m.form in _KO_OPEN_OBJECTS or (m.tag, m.form) == ("XSN", "들") for m in ms)
        vague = any(m.tag == "VA" and m.form in _KO_VAGUE_ADJ for m in ms)
        if weak is None or not (opened or vague or any(m.form in VAGUE_COUNTS for m in ms)):
            return None
        cue = weak
    problems: list[str] = []
    has_format = any(m.form.lower() in _KO_FORMAT for m in ms)
    vague_count = next((m for m in ms if m.form in VAGUE_COUNTS), None)
    if not korean_quantity(ms) and not has_format:
        if vague_count is not None:
            problems.append(f"'{vague_count.form}' leaves the number of items to the model")
        else:
            problems.append("no number of items")
        problems.append("no answer format")
    vague_adj: list[str] = []
    criteria = any(m.form in _KO_CRITERIA for m in ms)
    for i, m in enumerate(ms):
        other_adjective = m.tag == "VA" and m.form not in _KO_VAGUE_ADJ | VAGUE_COUNTS
        derived_adjective = m.tag == "XSA" and i and ms[i - 1].tag in ("NNG", "XR")  # 유명하다
        if other_adjective or derived_adjective:
            criteria = True
        elif m.tag == "VA" and m.form in _KO_VAGUE_ADJ:
            before = ms[i - 1].tag if i else ""
            if before in ("ETN", "JKB"):  # 가기 좋은, 데이트에 좋은: a purpose is a criterion
                criteria = True
            else:
                end = ms[i + 1].end if i + 1 < len(ms) and ms[i + 1].tag == "ETM" else m.end
                vague_adj.append(text[m.start : end])
    if vague_adj and not criteria:
        problems.append(f"'{vague_adj[0]}' gives no criteria")
    if not problems:
        return None
    return text[cue.start : cue.end], problems


def _english_problems(ws: Sequence[str]) -> tuple[str, list[str]] | None:
    cue = next((w for w in ws if w in _EN_STRONG), None)
    if cue is None:
        pair = next((f"{a} {b}" for a, b in pairwise(ws) if (a, b) in _EN_WEAK), None)
        vague = any(w in _EN_VAGUE_ADJ for w in ws)
        if pair is None or not (vague or any(w in _EN_OPEN for w in ws)):
            return None
        cue = pair
    problems: list[str] = []
    if not any(english_number(w) is not None for w in ws) and not any(w in _EN_FORMAT for w in ws):
        problems += ["no number of items", "no answer format"]
    adj = next((i for i, w in enumerate(ws) if w in _EN_VAGUE_ADJ), None)
    if adj is not None and not any(w in _EN_CRITERIA for w in ws[adj:]):
        problems.append(f"'{ws[adj]}' gives no criteria")
    return (cue, problems) if problems else None


class VagueRequest(Rule):
    id = "vague-request"
    severity = Severity.WARNING
    description = (
        "The user message asks for recommendations or information without a number of items, "
        "an answer format or criteria (서울 관광지 알려줘, Tell me about good places)."
    )

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        text = ctx.user_text
        korean = has_hangul(text)
        found = (
            _korean_problems(text, ctx.morphemes(text))
            if korean
            else _english_problems(words(text))
        )
        if found is None:
            return
        cue, problems = found
        yield self.issue(
            ctx,
            ("user",),
            f"The request '{cue}' is open-ended: {'; '.join(problems)}.",
            _FIX_KO if korean else _FIX_EN,
        )


_KO_ROLE_PRONOUNS = {"당신", "너", "귀하", "너희"}
_KO_ROLE_NOUNS = {
    "역할",
    "가이드",
    "전문가",
    "도우미",
    "비서",
    "상담원",
    "어시스턴트",
    "챗봇",
    "안내원",
}
_KO_TASK = {"임무", "목표", "업무", "과제", "작업"}
_KO_TASK_VERBS = {"돕", "도와주", "도우"}
_EN_ROLE = {("you", "are"), ("act", "as"), ("your", "role"), ("you're",)}
_EN_TASK = {("your", "task"), ("your", "job"), ("your", "goal"), ("help",), ("assist",)}


def _has_role_or_task(text: str, ctx: LintContext) -> bool:
    if has_hangul(text):
        for m in ctx.morphemes(text):
            if m.tag == "NP" and m.form in _KO_ROLE_PRONOUNS:
                return True
            if m.tag.startswith("NN") and m.form in _KO_ROLE_NOUNS | _KO_TASK:
                return True
            if _is_verb(m, _KO_TASK_VERBS):
                return True
        return False
    ws = words(text)
    grams = set(pairwise(ws)) | {(w,) for w in ws}
    return bool(grams & (_EN_ROLE | _EN_TASK))


class MissingSystem(Rule):
    id = "missing-system"
    severity = Severity.WARNING
    description = "No `system` instruction, or one that gives the model neither a role nor a task."

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        system = ctx.prompt.template.system
        korean = has_hangul((system or "") + ctx.prompt.template.user)
        example = (
            "당신은 서울 여행 가이드입니다. 여행자에게 관광지를 추천하는 것이 임무입니다."
            if korean
            else "You are a Seoul travel guide. Your task is to recommend places to visit."
        )
        if not system or not system.strip():
            yield self.issue(
                ctx,
                ("system",) if system is not None else (),
                "The prompt has no system instruction: the model gets no role, task or rules.",
                f"Add `system:` with a role, the task and constraints, e.g. {example}",
            )
        elif not _has_role_or_task(system, ctx):
            yield self.issue(
                ctx,
                ("system",),
                "The system instruction says neither who the model is nor what its task is.",
                f"Start it with a role and the task, e.g. {example}",
            )
