"""The scanner: thresholds, entity filters, overlap resolution and the three redaction modes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pytest

from tuneloop.errors import InvalidRequest
from tuneloop.safety.pii import PiiFinding, PiiRecognizer, PiiScanner, resolve_overlaps


class Fixed:
    """A recognizer that reports the given (entity, start, end, score) spans of any text."""

    def __init__(self, name: str, spans: list[tuple[str, int, int, float]]) -> None:
        self.name = name
        self.entities = tuple({s[0] for s in spans})
        self.spans = spans

    def analyze(self, text: str) -> Iterable[PiiFinding]:
        for entity, start, end, score in self.spans:
            yield PiiFinding(entity, start, end, score, self.name, text[start:end])


def test_fixed_recognizer_satisfies_the_protocol() -> None:
    assert isinstance(Fixed("x", []), PiiRecognizer)


def test_overlap_keeps_the_higher_score_then_the_longer_span() -> None:
    text = "0123456789abcdef"
    scanner = PiiScanner(
        [
            Fixed("a", [("A", 0, 6, 0.6), ("A", 10, 12, 0.9)]),
            Fixed("b", [("B", 4, 10, 0.8), ("B", 10, 16, 0.9)]),
        ]
    )
    found = scanner.analyze(text)
    assert [(f.entity, f.start, f.end) for f in found] == [("B", 4, 10), ("B", 10, 16)]


def test_overlap_ties_go_to_the_longer_span() -> None:
    findings = [
        PiiFinding("A", 0, 4, 0.7, "a", "0123"),
        PiiFinding("B", 2, 9, 0.7, "b", "2345678"),
    ]
    assert [f.entity for f in resolve_overlaps(findings)] == ["B"]


def test_findings_below_min_score_are_dropped() -> None:
    spans = [("A", 0, 2, 0.4), ("A", 3, 5, 0.5)]
    assert [f.start for f in PiiScanner([Fixed("a", spans)]).analyze("ab cd")] == [3]
    assert PiiScanner([Fixed("a", spans)], min_score=0.6).analyze("ab cd") == []
    with pytest.raises(InvalidRequest):
        PiiScanner([], min_score=1.5)


def test_a_low_score_finding_does_not_hide_a_confident_one_after_thresholding() -> None:
    scanner = PiiScanner([Fixed("a", [("A", 0, 8, 0.3), ("B", 2, 5, 0.7)])])
    assert [f.entity for f in scanner.analyze("abcdefgh")] == ["B"]


def test_entity_filter_limits_findings_and_skips_recognizers(scanner: PiiScanner) -> None:
    text = "연락처 010-1234-5678, 메일 hong@example.com"
    only_email = PiiScanner.default(entities=["EMAIL"])
    assert [f.entity for f in only_email.analyze(text)] == ["EMAIL"]
    assert [r.name for r in only_email.recognizers] == ["email"]
    assert {f.entity for f in scanner.analyze(text)} == {"PHONE", "EMAIL"}


def test_default_rejects_unknown_entities_with_the_known_ones_as_hint() -> None:
    with pytest.raises(InvalidRequest) as info:
        PiiScanner.default(entities=["PHONE", "SHOE_SIZE"])
    assert "SHOE_SIZE" in info.value.message
    assert info.value.hint is not None and "KR_RRN" in info.value.hint


def test_contains_pii(scanner: PiiScanner) -> None:
    assert scanner.contains_pii("My SSN is 123-45-6789")
    assert not scanner.contains_pii("경복궁은 09:00에 문을 엽니다")


TEXT = "예약자 김민수 님, 연락처 010-1234-5678 으로 연락 주세요."


def test_placeholder_mode_keeps_the_sentence_and_original_offsets(scanner: PiiScanner) -> None:
    result = scanner.redact(TEXT)
    assert result.text == "예약자 <PERSON> 님, 연락처 <PHONE> 으로 연락 주세요."
    # Offsets refer to the original (Hangul) text, in characters.
    for finding in result.findings:
        assert TEXT[finding.start : finding.end] == finding.text
    assert [f.text for f in result.findings] == ["김민수", "010-1234-5678"]


def test_mask_mode_keeps_separators_and_length(scanner: PiiScanner) -> None:
    result = scanner.redact(TEXT, "mask")
    assert "010-****-****" in result.text
    assert "***" in result.text and "김민수" not in result.text
    assert len(result.text) == len(TEXT)
    email = scanner.redact("메일 hong@example.com 입니다", "mask").text
    assert email == "메일 ****@*******.*** 입니다"


def test_hash_mode_is_deterministic_and_salted(scanner: PiiScanner) -> None:
    first = scanner.redact(TEXT, "hash").text
    again = scanner.redact("다른 문장 010-1234-5678", "hash").text
    salted = scanner.redact(TEXT, "hash", salt="s3cret").text
    expected = hashlib.sha256(b"010-1234-5678").hexdigest()[:8]
    assert f"<PHONE:{expected}>" in first
    assert f"<PHONE:{expected}>" in again  # same value, same token: joins still work
    salted_hash = hashlib.sha256(b"s3cret010-1234-5678").hexdigest()[:8]
    assert f"<PHONE:{salted_hash}>" in salted and expected not in salted


def test_unknown_mode_is_an_error(scanner: PiiScanner) -> None:
    with pytest.raises(InvalidRequest):
        scanner.redact(TEXT, "shred")  # type: ignore[arg-type]


def test_redaction_of_several_findings_in_mixed_scripts(scanner: PiiScanner) -> None:
    text = "Mr. Smith (smith@mail.com) 님의 카드 4111 1111 1111 1111 로 결제"
    result = scanner.redact(text)
    assert result.text == "Mr. <PERSON> (<EMAIL>) 님의 카드 <CARD> 로 결제"
