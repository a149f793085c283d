"""Script shares and repetition: the cheap signals behind language and degeneration filters."""

from __future__ import annotations

import pytest

from tuneloop.text.stats import dominant_language, ngram_repetition, script_shares


def test_script_shares_count_letters_only():
    shares = script_shares("경복궁 DDP 2026년!")
    # letters: 경 복 궁 D D P 년 → 4 Hangul, 3 Latin; digits, spaces and "!" are ignored
    assert shares.letters == 7
    assert shares.hangul == pytest.approx(4 / 7)
    assert shares.latin == pytest.approx(3 / 7)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("N서울타워는 남산에 있습니다.", "ko"),
        ("Take Line 3 to Anguk Station.", "en"),
        ("東京タワーは港区にあります。", "other"),
        ("12:00 - 18:00", "none"),
        ("DDP(동대문디자인플라자)는 Dongdaemun에 있어요", "ko"),
        ("Dongdaemun Design Plaza (동대문)", "en"),
    ],
)
def test_dominant_language_by_script(text, language):
    assert dominant_language(text) == language


def test_ngram_repetition_is_zero_for_fresh_text_and_high_for_loops():
    assert ngram_repetition(["경복궁은", "화요일에", "쉽니다"], 3) == 0.0
    loop = ("서울 서울 서울 " * 10).split()
    # 30 tokens → 28 trigrams, all ("서울","서울","서울"): 1 unique
    assert ngram_repetition(loop, 3) == pytest.approx(1 - 1 / 28)
    assert ngram_repetition(["짧은", "글"], 3) == 0.0
