"""Data-prep benchmark: PII redaction speed and recall against Presidio, and dedupe throughput.

Usage::

    .venv/bin/python bench/data_prep.py [--records 20000] [--seed 7]

It builds a seeded synthetic corpus of Korean and English travel sentences (prices, years,
opening hours, bus numbers, station exits, landmarks on roads without a building number,
historical names, 1588 business numbers …) and plants personal information in about 30% of the
records, remembering where (the labelled set). Then, in the same run, it times:

(a) tuneloop's ``PiiScanner.default().redact`` on every record;
(b) Presidio's ``AnalyzerEngine`` + ``AnonymizerEngine`` with its regex recognizers only —
    e-mail, phone (``phonenumbers`` with the KR region added), credit card, IP, US SSN, US bank
    number, and its Korean KR_RRN/KR_FRN/KR_PASSPORT/KR_DRIVER_LICENSE — behind Presidio's own
    ``NoOpNlpEngine``, so no spaCy model is needed (none can be downloaded offline);
(c) ``tuneloop.data.dedupe.find_duplicates`` on the same texts, when that module exists.

It prints documents/s for each, the tuneloop/Presidio ratio, and recall and precision per entity
for both on the labelled set (Korean entities marked ★). A prediction counts when it overlaps a
planted span of the same entity. Nothing here is asserted: timings depend on the machine.
Presidio is optional: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

KOREAN_ENTITIES = {
    "KR_RRN",
    "KR_FRN",
    "KR_DRIVER_LICENSE",
    "PASSPORT",
    "PHONE",
    "BANK_ACCOUNT",
    "ADDRESS",
    "PERSON",
}
# Presidio's entity names → ours.
PRESIDIO_ENTITIES = {
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "EMAIL_ADDRESS": "EMAIL",
    "KR_RRN": "KR_RRN",
    "KR_FRN": "KR_FRN",
    "KR_PASSPORT": "PASSPORT",
    "KR_DRIVER_LICENSE": "KR_DRIVER_LICENSE",
    "US_SSN": "US_SSN",
    "US_BANK_NUMBER": "BANK_ACCOUNT",
    "IP_ADDRESS": "IP_ADDRESS",
}


@dataclass
class Record:
    text: str
    lang: str
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # (entity, start, end)


# --- corpus ------------------------------------------------------------------------------------

PLACES_KO = [
    "경복궁",
    "창덕궁",
    "남산서울타워",
    "북촌한옥마을",
    "광장시장",
    "명동",
    "인사동",
    "익선동",
]
STATIONS_KO = ["종로3가", "안국", "명동", "시청", "광화문", "을지로입구", "동대문", "홍대입구"]
FILLER_KO = [
    "{place} 입장료는 {price}원이고 09:00-18:00에 운영합니다.",
    "{year}년 {month}월 {day}일에 {place}에 다녀왔어요.",
    "{bus}번 버스를 타고 {station}역 {exit}번 출구에서 내리세요.",
    "종로구 세종대로에 있는 광화문은 서울의 대표 명소입니다.",
    "이순신 장군 동상과 세종대왕 동상을 보고 광화문광장을 걸었어요.",
    "문의는 고객센터 1588-{d4}로 연락 주세요.",
    "{place} 근처 칼국수는 한 그릇에 {price}원, 대기 시간은 약 {n}분입니다.",
    "고객님 감사합니다. 선생님께서 안내해 드릴 거예요.",
    "지하철 {line}호선 {station}역에서 환승하면 {n}분 걸려요.",
    "{place}는 {year}년에 복원되었고 하루 방문객이 {big}명 정도예요.",
    "담당자가 {place} 가는 길을 안내해 드립니다.",
    "마포구 방향으로 {n} 정거장 가면 홍대입구예요.",
]
PLACES_EN = [
    "Gyeongbokgung",
    "Bukchon",
    "Myeongdong",
    "Namsan Tower",
    "Insadong",
    "Gwangjang Market",
]
FILLER_EN = [
    "{place} opens at 09:00 and tickets cost {price} won.",
    "Take bus {bus} and get off at exit {exit}.",
    "In {year}, {place} welcomed {big} visitors.",
    "The statue of Admiral Yi Sun-sin stands on Sejong-daero.",
    "Call the tourist hotline 1330 for help in English.",
    "Flight KE{d3} leaves Incheon at {hour}:30.",
    "The walk from {place} to the palace takes about {n} minutes.",
]

SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허남심노하곽성차주우구"
GIVEN = "민수서연지현우준영하윤은예도유진성혜태경재희주아채원나시정동승호소다"
FIRST_EN = ["John", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Laura"]
LAST_EN = ["Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Moore", "Clark"]
SIDO = ["서울특별시", "서울", "부산광역시", "경기도", "인천광역시"]
GU = ["종로구", "마포구", "강남구", "서초구", "용산구", "성동구", "송파구", "중구"]
ROADS = ["세종대로", "양화로", "테헤란로", "올림픽로", "퇴계로", "을지로", "연희로", "도산대로"]
DONGS = ["관철동", "역삼동", "서교동", "연남동", "청담동", "삼성동"]
APTS = ["래미안아파트", "자이아파트", "푸르지오", "힐스테이트아파트"]
STREETS_EN = ["Baker Street", "Main St", "Oak Avenue", "Elm Road", "Maple Drive", "Park Ave"]
BANKS = ["국민은행", "신한은행", "우리은행", "하나은행", "농협", "카카오뱅크"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _rrn(rng: random.Random, foreigner: bool) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    millennial = born.year >= 2000
    gender = (
        rng.choice("78" if millennial else "56")
        if foreigner
        else rng.choice("34" if millennial else "12")
    )
    body = born.strftime("%y%m%d") + gender + _digits(rng, 5)
    if rng.random() < 0.5:  # issued before Oct 2020: valid check digit
        weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
        total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
        check = ((13 if foreigner else 11) - total % 11) % 10
    else:  # issued since: random last digit
        check = rng.randrange(10)
    number = body + str(check)
    return number[:6] + "-" + number[6:] if rng.random() < 0.85 else number


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + _digits(rng, length - len(prefix) - 1)
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def _card(rng: random.Random) -> str:
    number = _luhn_complete(rng.choice(["4", "51", "94", "9410"]), 16, rng)
    sep = rng.choice([" ", "-"])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def _phone(rng: random.Random, lang: str) -> str:
    if lang == "en" and rng.random() < 0.5:
        return rng.choice(
            [
                f"({rng.randint(201, 989)}) {_digits(rng, 3)}-{_digits(rng, 4)}",
                f"+1 {rng.randint(201, 989)} {_digits(rng, 3)} {_digits(rng, 4)}",
            ]
        )
    return rng.choice(
        [
            f"010-{_digits(rng, 4)}-{_digits(rng, 4)}",
            f"010{_digits(rng, 8)}",
            f"+82 10-{_digits(rng, 4)}-{_digits(rng, 4)}",
            f"02-{_digits(rng, 3)}-{_digits(rng, 4)}",
            f"031-{_digits(rng, 4)}-{_digits(rng, 4)}",
        ]
    )


def _address(rng: random.Random, lang: str) -> str:
    if lang == "en":
        return rng.choice(
            [
                f"{rng.randint(1, 999)}{rng.choice(['', 'B'])} {rng.choice(STREETS_EN)}",
                f"{rng.randint(1, 2000)} Sejong-daero, Jongno-gu, Seoul",
            ]
        )
    head = f"{rng.choice(SIDO)} {rng.choice(GU)}" if rng.random() < 0.7 else rng.choice(GU)
    if rng.random() < 0.25:
        return f"{head} {rng.choice(DONGS)} {rng.randint(1, 999)}-{rng.randint(1, 30)}"
    tail = ""
    if rng.random() < 0.3:
        tail = f" {rng.choice(APTS)} {rng.randint(101, 120)}동 {rng.randint(101, 1504)}호"
    return f"{head} {rng.choice(ROADS)} {rng.randint(1, 300)}{tail}"


def _korean_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


# entity → (Korean templates, English templates, value maker); {v} is the planted value.
PLANTS: dict[str, tuple[list[str], list[str], Callable[[random.Random, str], str]]] = {
    "KR_RRN": (
        [
            "주민등록번호는 {v}입니다.",
            "본인 확인용 번호 {v} 확인했습니다.",
            "{v} 로 조회해 주세요.",
        ],
        ["My resident registration number is {v}."],
        lambda rng, lang: _rrn(rng, foreigner=False),
    ),
    "KR_FRN": (
        ["외국인등록번호 {v}로 등록했어요.", "등록번호: {v}"],
        ["Alien registration number: {v}"],
        lambda rng, lang: _rrn(rng, foreigner=True),
    ),
    "PHONE": (
        ["연락처는 {v}입니다.", "{v}로 전화 주세요.", "예약 확인 문자는 {v}로 보냈습니다."],
        ["You can reach me at {v}.", "Call {v} when you arrive."],
        _phone,
    ),
    "CARD": (
        ["결제 카드 번호는 {v}입니다.", "{v} 카드로 결제했어요."],
        ["My card number is {v}.", "Charge it to {v}, please."],
        lambda rng, lang: _card(rng),
    ),
    "BANK_ACCOUNT": (
        ["환불은 {bank} {v} 계좌로 입금해 드립니다.", "{bank} 계좌번호 {v}로 송금해 주세요."],
        ["Please wire the deposit to account {v}."],
        lambda rng, lang: rng.choice(
            [
                f"{_digits(rng, 3)}-{_digits(rng, 2)}-{_digits(rng, 6)}",
                f"{_digits(rng, 4)}-{_digits(rng, 3)}-{_digits(rng, 6)}",
                f"{_digits(rng, 3)}-{_digits(rng, 6)}-{_digits(rng, 2)}-{_digits(rng, 3)}",
            ]
        ),
    ),
    "EMAIL": (
        ["영수증은 {v}으로 보내주세요.", "이메일 {v} 로 연락 바랍니다."],
        ["Email me at {v}.", "Send the voucher to {v} please."],
        lambda rng, lang: (
            f"{rng.choice(['hong', 'minsu.kim', 'travel_lee', 'sarah'])}"
            f"{rng.randint(1, 99)}@{rng.choice(['naver.com', 'gmail.com', 'example.co.kr'])}"
        ),
    ),
    "PASSPORT": (
        ["여권번호 {v} 확인 부탁드립니다.", "체크인할 때 여권 {v}를 제시했어요."],
        ["Passport No. {v}", "My passport number is {v}."],
        lambda rng, lang: (
            rng.choice("MSR") + _digits(rng, 8)
            if rng.random() < 0.7
            else rng.choice("MS") + _digits(rng, 3) + rng.choice("ABCD") + _digits(rng, 4)
        ),
    ),
    "KR_DRIVER_LICENSE": (
        ["운전면허 번호는 {v}입니다.", "렌터카 예약에 면허번호 {v}를 적었어요."],
        ["Driver's license: {v}"],
        lambda rng, lang: (
            f"{rng.randint(11, 26)}-{_digits(rng, 2)}-{_digits(rng, 6)}-{_digits(rng, 2)}"
            if rng.random() < 0.8
            else f"서울 {_digits(rng, 2)}-{_digits(rng, 6)}-{_digits(rng, 2)}"
        ),
    ),
    "US_SSN": (
        ["미국 SSN {v} 입니다."],
        ["My SSN is {v}.", "Social security number {v}"],
        lambda rng, lang: (
            f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        ),
    ),
    "ADDRESS": (
        ["배송지는 {v}입니다.", "주소: {v}", "{v}에 살고 있어요."],
        ["I live at {v}.", "Ship it to {v}."],
        _address,
    ),
    "PERSON": (
        [
            "예약자는 {v}입니다.",
            "{v} 고객님, 예약이 확정되었습니다.",
            "{v} 씨가 체크인했습니다.",
            "성함: {v}",
            "{v}님, 내일 10시에 로비에서 뵙겠습니다.",
        ],
        ["My name is {v}.", "Mr. {v} will pick you up.", "Guest name: {v}"],
        lambda rng, lang: (
            _korean_name(rng) if lang == "ko" else f"{rng.choice(FIRST_EN)} {rng.choice(LAST_EN)}"
        ),
    ),
}


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        place=rng.choice(
            PLACES_KO if any("\uac00" <= c <= "\ud7a3" for c in template) else PLACES_EN
        ),
        price=f"{rng.randint(1, 30) * 1000:,}",
        year=rng.randint(1990, 2026),
        month=rng.randint(1, 12),
        day=rng.randint(1, 28),
        bus=rng.choice([7016, 1711, 470, 272, 100, 7212]),
        station=rng.choice(STATIONS_KO),
        exit=rng.randint(1, 12),
        d4=_digits(rng, 4),
        d3=_digits(rng, 3),
        n=rng.randint(2, 40),
        big=f"{rng.randint(1, 90) * 1000:,}",
        line=rng.randint(1, 9),
        hour=rng.randint(6, 22),
    )


def build_corpus(size: int, seed: int, pii_rate: float = 0.3) -> list[Record]:
    """``size`` records, half Korean, ~``pii_rate`` with one or two planted values."""
    rng = random.Random(seed)
    records = []
    for _ in range(size):
        lang = "ko" if rng.random() < 0.6 else "en"
        fillers = FILLER_KO if lang == "ko" else FILLER_EN
        record = Record(_fill(rng.choice(fillers), rng), lang)
        if rng.random() < pii_rate:
            for _ in range(1 if rng.random() < 0.8 else 2):
                entity = rng.choice(list(PLANTS))
                ko, en, make = PLANTS[entity]
                template = rng.choice(ko if lang == "ko" else en)
                value = make(rng, lang)
                before, _, after = template.partition("{v}")
                before = before.replace("{bank}", rng.choice(BANKS))
                prefix = record.text + " " + before
                record.spans.append((entity, len(prefix), len(prefix) + len(value)))
                record.text = prefix + value + after
        if rng.random() < 0.5:
            record.text += " " + _fill(rng.choice(fillers), rng)
        records.append(record)
    return records


# --- engines -----------------------------------------------------------------------------------

Findings = list[tuple[str, int, int]]


def run_tuneloop(texts: Sequence[str]) -> tuple[float, list[Findings]]:
    from tuneloop.safety.pii import PiiScanner

    scanner = PiiScanner.default()
    for text in texts[:50]:  # warm-up: Kiwi loads its model on first use
        scanner.redact(text)
    started = time.perf_counter()
    results = [scanner.redact(text) for text in texts]
    elapsed = time.perf_counter() - started
    return elapsed, [[(f.entity, f.start, f.end) for f in r.findings] for r in results]


def presidio_engines() -> tuple[Any, Any] | None:
    """Presidio's analyzer with its regex recognizers only (no spaCy model), and anonymizer."""
    try:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            CreditCardRecognizer,
            EmailRecognizer,
            IpRecognizer,
            KrDriverLicenseRecognizer,
            KrFrnRecognizer,
            KrPassportRecognizer,
            KrRrnRecognizer,
            PhoneRecognizer,
            UsBankRecognizer,
            UsSsnRecognizer,
        )
        from presidio_anonymizer import AnonymizerEngine
    except ImportError:
        return None
    import tldextract

    # Presidio's e-mail check calls tldextract, which fetches the Public Suffix List over the
    # network on first use; use the snapshot bundled in the wheel instead (no downloads).
    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())
    language = "ko"  # one language for every record: each recognizer runs once per text
    registry = RecognizerRegistry(supported_languages=[language])
    for cls in (
        CreditCardRecognizer,
        EmailRecognizer,
        IpRecognizer,
        UsSsnRecognizer,
        UsBankRecognizer,
        KrRrnRecognizer,
        KrFrnRecognizer,
        KrPassportRecognizer,
        KrDriverLicenseRecognizer,
    ):
        registry.add_recognizer(cls(supported_language=language))
    registry.add_recognizer(
        PhoneRecognizer(
            supported_language=language,
            supported_regions=("KR", *PhoneRecognizer.DEFAULT_SUPPORTED_REGIONS),
        )
    )
    nlp = NoOpNlpEngine(models=[{"lang_code": language, "model_name": "none"}])
    nlp.load()
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[language])
    return analyzer, AnonymizerEngine()


def run_presidio(engines: tuple[Any, Any], texts: Sequence[str]) -> tuple[float, list[Findings]]:
    analyzer, anonymizer = engines
    for text in texts[:50]:
        anonymizer.anonymize(text=text, analyzer_results=analyzer.analyze(text, language="ko"))
    started = time.perf_counter()
    found: list[Findings] = []
    for text in texts:
        results = analyzer.analyze(text, language="ko")
        anonymizer.anonymize(text=text, analyzer_results=results)
        found.append(
            [(PRESIDIO_ENTITIES.get(r.entity_type, r.entity_type), r.start, r.end) for r in results]
        )
    return time.perf_counter() - started, found


# --- scoring -----------------------------------------------------------------------------------


def score(
    records: Sequence[Record], found: Sequence[Findings]
) -> dict[str, tuple[int, int, int, int]]:
    """Per entity: (planted, planted and found, predictions, predictions on a planted span)."""
    planted: Counter[str] = Counter()
    recalled: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    for record, predictions in zip(records, found, strict=True):
        for entity, start, end in record.spans:
            planted[entity] += 1
            if any(e == entity and s < end and start < t for e, s, t in predictions):
                recalled[entity] += 1
        for entity, start, end in predictions:
            predicted[entity] += 1
            if any(e == entity and s < end and start < t for e, s, t in record.spans):
                correct[entity] += 1
    entities = sorted(set(planted) | set(predicted))
    return {e: (planted[e], recalled[e], predicted[e], correct[e]) for e in entities}


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    - "


def print_quality(
    name_scores: list[tuple[str, dict[str, tuple[int, int, int, int]]]],
) -> None:
    entities = sorted(
        {e for _, s in name_scores for e in s}, key=lambda e: (e not in KOREAN_ENTITIES, e)
    )
    header = f"  {'entity':<20}{'planted':>8}"
    for name, _ in name_scores:
        header += f"  {name + ' recall':>17}{name + ' precision':>20}"
    print(header)
    totals = {name: Counter[str]() for name, _ in name_scores}
    for entity in entities:
        mark = "★" if entity in KOREAN_ENTITIES else " "
        planted = max(s.get(entity, (0, 0, 0, 0))[0] for _, s in name_scores)
        line = f"{mark} {entity:<20}{planted:>8}"
        for name, scores in name_scores:
            _, rec, pred, corr = scores.get(entity, (planted, 0, 0, 0))
            line += f"  {_pct(rec, planted):>17}{_pct(corr, pred):>20}"
            if entity in KOREAN_ENTITIES:
                totals[name].update(planted=planted, recalled=rec)
        print(line)
    for name, total in totals.items():
        print(
            f"  Korean PII (★) recall, {name}: "
            f"{_pct(total['recalled'], total['planted']).strip()} "
            f"({total['recalled']}/{total['planted']})"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="corpus size (default 20000)")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    args = parser.parse_args(argv)

    records = build_corpus(args.records, args.seed)
    texts = [r.text for r in records]
    with_pii = sum(1 for r in records if r.spans)
    korean = sum(1 for r in records if r.lang == "ko")
    print(
        f"corpus: {len(records)} records ({korean} Korean, {len(records) - korean} English), "
        f"{with_pii} with planted PII ({sum(len(r.spans) for r in records)} values), "
        f"seed {args.seed}"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}, {dt.date.today()}"
    )

    elapsed, ours = run_tuneloop(texts)
    ours_rate = len(texts) / elapsed
    print(f"\n(a) tuneloop PII redaction:   {ours_rate:10,.0f} docs/s  ({elapsed:.2f} s)")
    name_scores = [("tuneloop", score(records, ours))]

    engines = presidio_engines()
    if engines is None:
        print(
            "(b) Presidio: not installed — pip install -e '.[bench]' "
            "(presidio-analyzer, presidio-anonymizer) to compare"
        )
    else:
        p_elapsed, theirs = run_presidio(engines, texts)
        p_rate = len(texts) / p_elapsed
        print(f"(b) Presidio analyze+anonymize: {p_rate:8,.0f} docs/s  ({p_elapsed:.2f} s)")
        print(f"    tuneloop / Presidio throughput: {ours_rate / p_rate:.1f}x")
        name_scores.append(("presidio", score(records, theirs)))

    groups: Sequence[Any] | None = None
    try:
        from tuneloop.data.dedupe import find_duplicates
    except ImportError:
        print("(c) dedupe: not available")
    else:
        started = time.perf_counter()
        try:
            groups = find_duplicates(texts, threshold=0.8, seed=1)
        except Exception as exc:  # another engineer's module, possibly mid-change: report it
            print(f"(c) dedupe: failed ({type(exc).__name__}: {exc})")
            groups = None
        d_elapsed = time.perf_counter() - started
    if groups is not None:
        print(
            f"(c) dedupe find_duplicates:    {len(texts) / d_elapsed:10,.0f} docs/s  "
            f"({d_elapsed:.2f} s, result: {type(groups).__name__} of {len(groups)})"
        )

    print("\nquality on the labelled set (a prediction counts when it overlaps a planted span):")
    print_quality(name_scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
