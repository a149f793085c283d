"""Each built-in reader on real files: text, Markdown, HTML, PDF, Q/A CSV and JSON lines."""

from __future__ import annotations

import json

import pytest

from tuneloop.data.ingest import IngestOptions, ingest
from tuneloop.data.records import (
    Document,
    Example,
    SkipReport,
    Source,
    record_to_dict,
    write_records,
)
from tuneloop.errors import DataError


def run(path, **options):
    skips = SkipReport()
    records = ingest([path], IngestOptions(**options), skips)
    return records, skips


def reasons(skips):
    return {str(s.source): s.reason for s in skips}


# --- text and markdown --------------------------------------------------------------------------


def test_text_file_is_a_document_titled_by_its_first_line(tmp_path):
    path = tmp_path / "myeongdong.txt"
    path.write_text("\n명동 쇼핑 안내\n명동은 화장품 가게가 많다.\n", encoding="utf-8")

    [doc], skips = run(path)

    assert isinstance(doc, Document)
    assert doc.title == "명동 쇼핑 안내"
    assert doc.text == "명동 쇼핑 안내\n명동은 화장품 가게가 많다."
    assert (doc.source.path, doc.source.line) == (str(path), 2)
    assert not skips


def test_long_markdown_is_chunked_with_the_heading_as_title_and_start_lines(tmp_path):
    body = "\n\n".join(
        f"Paragraph {i}: Insadong has tea houses and galleries. Visit on a weekday."
        for i in range(30)
    )
    text = f"Intro line\n\n## Insadong walk\n\n{body}\n"
    path = tmp_path / "insadong.md"
    path.write_text(text, encoding="utf-8")

    docs, _ = run(path, chunk_chars=400, overlap_chars=80)

    assert len(docs) > 3
    assert {d.title for d in docs} == {"Insadong walk"}
    lines = text.split("\n")
    for doc in docs:
        assert lines[doc.source.line - 1].strip() == doc.text.split("\n", 1)[0].strip()
        assert text[doc.source.offset : doc.source.offset + len(doc.text)] == doc.text


def test_cp949_markdown_is_read_as_korean(tmp_path):
    path = tmp_path / "old.md"
    path.write_bytes("# 광장시장\n\n빈대떡과 마약김밥이 유명하다.\n".encode("cp949"))

    [doc], _ = run(path)

    assert doc.title == "광장시장"
    assert "빈대떡과 마약김밥" in doc.text


# --- html ---------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head><title>서울 여행 | 사이트</title><style>p {{ color: red }}</style>
<script>var tracking = "빅데이터";</script></head>
<body>
<header><a href="/">홈</a> 로그인</header>
<nav><ul><li>메뉴 하나</li><li>메뉴 둘</li></ul></nav>
{main}
<aside>광고: 호텔 특가</aside>
<form><input name="q"> 검색</form>
<footer>© 2026 서울가이드. 모든 권리 보유.</footer>
</body></html>
"""


def test_html_keeps_the_article_and_drops_boilerplate(tmp_path):
    main = """<main>
<h1>창덕궁 후원</h1>
<p>후원은 해설 관람으로만
   들어갈 수 있습니다.</p>
<p>예약은 <b>한 달 전</b>부터 받습니다.<br>현장 판매도 일부 있어요.</p>
<h2>Getting there</h2>
<p>Take Line 3 to Anguk Station.</p>
<!-- a comment -->
</main>"""
    path = tmp_path / "huwon.html"
    path.write_text(PAGE.format(main=main), encoding="utf-8")

    [doc], _ = run(path)

    assert doc.title == "창덕궁 후원"
    assert doc.text == (
        "창덕궁 후원\n\n후원은 해설 관람으로만 들어갈 수 있습니다.\n\n"
        "예약은 한 달 전부터 받습니다.\n현장 판매도 일부 있어요.\n\n"
        "Getting there\n\nTake Line 3 to Anguk Station."
    )
    for boilerplate in ("로그인", "메뉴", "광고", "검색", "권리", "tracking", "color", "comment"):
        assert boilerplate not in doc.text
    assert doc.source.line == PAGE.format(main=main).split("\n").index("<h1>창덕궁 후원</h1>") + 1


def test_an_articles_own_header_is_kept_but_the_page_header_dropped(tmp_path):
    main = (
        "<article><header><h1>DDP 야경</h1><p>2026년 5월</p></header>"
        "<p>동대문디자인플라자는 밤에 조명이 켜진다.</p><footer>태그: 야경</footer></article>"
    )
    path = tmp_path / "ddp.html"
    path.write_text(PAGE.format(main=main), encoding="utf-8")

    [doc], _ = run(path)

    assert doc.title == "DDP 야경"
    assert doc.text == "DDP 야경\n\n2026년 5월\n\n동대문디자인플라자는 밤에 조명이 켜진다."


def test_html_without_main_uses_the_body_and_falls_back_to_the_title(tmp_path):
    path = tmp_path / "plain.htm"
    path.write_text(
        PAGE.format(main="<div><p>Lotte World is indoors.</p><p>Good on rainy days.</p></div>"),
        encoding="utf-8",
    )

    [doc], _ = run(path)

    assert doc.text == "Lotte World is indoors.\n\nGood on rainy days."
    assert doc.title == "서울 여행 | 사이트"


def test_html_in_euc_kr_declared_by_meta_charset(tmp_path):
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'
        "</head><body><article><p>남산타워 전망대는 밤 11시까지 엽니다.</p></article></body></html>"
    )
    path = tmp_path / "namsan.html"
    path.write_bytes(page.encode("euc-kr"))

    [doc], _ = run(path)

    assert doc.text == "남산타워 전망대는 밤 11시까지 엽니다."


# --- pdf ----------------------------------------------------------------------------------------


def _pdf(path, pages, **encryption):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    if encryption:
        pdf.set_encryption(**encryption)
    pdf.output(str(path))


def test_pdf_text_per_page_with_page_numbers_as_lines(tmp_path):
    path = tmp_path / "guide.pdf"
    pages = [
        "Seoul Palace Guide. Gyeongbokgung opens at 9 a.m. and closes on Tuesdays.",
        "Changdeokgung Secret Garden tours must be booked in advance.",
        "Deoksugung has a changing of the guard ceremony at 11 a.m.",
    ]
    _pdf(path, pages)

    docs, skips = run(path, chunk_chars=100, overlap_chars=0)

    assert not skips
    assert docs[0].title == pages[0]
    joined = " ".join(d.text for d in docs)
    for page_number, page in enumerate(pages, start=1):
        first_word = page.split()[0]
        assert first_word in joined
        starting = [d for d in docs if d.text.startswith(first_word)]
        assert starting and starting[0].source.line == page_number
    assert {d.meta["pages"] for d in docs} == {3}


def test_pdf_with_a_user_password_is_skipped_with_a_clear_reason(tmp_path):
    path = tmp_path / "secret.pdf"
    _pdf(path, ["Members only price list."], owner_password="owner", user_password="user")

    records, skips = run(path)

    assert records == []
    assert "encrypted PDF" in reasons(skips)[str(path)]


def test_pdf_with_only_an_owner_password_opens_without_one(tmp_path):
    path = tmp_path / "locked-printing.pdf"
    _pdf(path, ["Jongmyo Shrine is a UNESCO site."], owner_password="owner")

    [doc], skips = run(path)

    assert "Jongmyo Shrine" in doc.text and not skips


def test_image_only_pdf_is_skipped_as_needing_ocr(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50, style="F")
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))

    records, skips = run(path)

    assert records == []
    assert "OCR" in reasons(skips)[str(path)]


def test_a_broken_pdf_is_skipped_not_fatal(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01")

    records, skips = run(path)

    assert records == []
    assert "PDF" in reasons(skips)[str(path)]


# --- csv ----------------------------------------------------------------------------------------


def test_csv_korean_headers_tags_system_and_source_become_examples(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text(
        "질문,답변,Tags,System,source,난이도\n"
        "경복궁은 언제 쉬나요?,매주 화요일에 쉽니다.,palace; closing ,당신은 서울 가이드입니다.,"
        "공식 홈페이지,쉬움\n",
        encoding="utf-8",
    )

    [example], skips = run(path)

    assert isinstance(example, Example)
    assert example.messages == [
        {"role": "system", "content": "당신은 서울 가이드입니다."},
        {"role": "user", "content": "경복궁은 언제 쉬나요?"},
        {"role": "assistant", "content": "매주 화요일에 쉽니다."},
    ]
    assert example.tags == ["palace", "closing"]
    assert example.meta == {"source": "공식 홈페이지", "fields": {"난이도": "쉬움"}}
    assert example.source.line == 2 and not skips


@pytest.mark.parametrize(
    ("header", "question", "answer"),
    [("Question,Answer", "Q1", "A1"), ("prompt,completion", "P", "C"), ("q,a", "x", "y")],
)
def test_csv_english_column_names_in_any_case(tmp_path, header, question, answer):
    path = tmp_path / "qa.csv"
    path.write_text(f"{header}\n{question},{answer}\n", encoding="utf-8")

    [example], _ = run(path)

    assert (example.first("user"), example.first("assistant")) == (question, answer)


def test_csv_skips_report_physical_lines_after_quoted_multiline_cells(tmp_path):
    path = tmp_path / "qa.csv"
    path.write_text(
        "question,answer\n"  # 1
        '"How do I get to\nNamsan Tower?","Take bus 01A from Myeongdong."\n'  # 2-3
        "empty answer here,\n"  # 4
        "명동 가는 법?,4호선,extra\n"  # 5
        "\n"  # 6
        ",답 없는 질문\n"  # 7
        '"다음 줄까지\n이어지는 질문","좋아요"\n'  # 8-9
        "last one,ok\n",  # 10
        encoding="utf-8",
    )

    records, skips = run(path)

    assert [r.source.line for r in records] == [2, 8, 10]
    assert records[0].first("user") == "How do I get to\nNamsan Tower?"
    assert reasons(skips) == {
        f"{path}:4": "empty answer",
        f"{path}:5": "expected 2 columns, found 3",
        f"{path}:7": "empty question",
    }


def test_csv_in_cp949_from_excel_and_semicolon_delimited(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("질문;답변\n광장시장 대표 음식은?;빈대떡입니다.\n".encode("cp949"))

    [example], _ = run(path)

    assert example.first("assistant") == "빈대떡입니다."


def test_csv_without_question_answer_columns_names_the_header_and_the_accepted_names(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("title,body\nx,y\n", encoding="utf-8")

    with pytest.raises(DataError) as info:
        run(path)

    message = str(info.value)
    assert "'title', 'body'" in message
    assert "질문" in message and "completion" in message and "wrong.csv:1" in message


def test_tsv_uses_tabs(tmp_path):
    path = tmp_path / "qa.tsv"
    path.write_text("question\tanswer\nIs it free, really?\tYes, on Culture Day.\n", "utf-8")

    [example], _ = run(path)

    assert example.first("user") == "Is it free, really?"


# --- jsonl --------------------------------------------------------------------------------------


def _jsonl(path, rows):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows)
        + "\n",
        encoding="utf-8",
    )
    return path


def test_jsonl_openai_chat_lines_are_examples_and_bad_lines_skipped(tmp_path):
    good = {
        "messages": [
            {"role": "system", "content": "서울 가이드"},
            {"role": "user", "content": "N서울타워 입장료?"},
            {"role": "assistant", "content": "성인 21,000원입니다.", "weight": 1},
        ]
    }
    path = _jsonl(
        tmp_path / "chat.jsonl",
        [
            good,
            {"messages": [{"role": "user", "content": "답 없는 질문"}]},
            {
                "messages": [
                    {"role": "human", "content": "hi"},
                    {"role": "assistant", "content": "x"},
                ]
            },
            '{"messages": [',
        ],
    )

    records, skips = run(path)

    assert [r.messages for r in records] == [good["messages"]]
    found = reasons(skips)
    assert "no assistant message" in found[f"{path}:2"]
    assert "'human'" in found[f"{path}:3"]
    assert found[f"{path}:4"].startswith("not valid JSON")


def test_jsonl_tuneloop_records_round_trip(tmp_path):
    original = [
        Document("북촌 한옥마을 안내", source=Source("docs/bukchon.md", 1), title="북촌"),
        Example(
            messages=[{"role": "user", "content": "Q"}, {"role": "assistant", "content": "A"}],
            tags=["seed"],
        ),
    ]
    path = tmp_path / "records.jsonl"
    write_records(path, original)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"kind": "mystery"}\n')

    records, skips = run(path)

    assert [record_to_dict(r) for r in records] == [record_to_dict(r) for r in original]
    assert "unknown \"kind\" 'mystery'" in reasons(skips)[f"{path}:3"]


def test_jsonl_generic_question_answer_and_text_lines(tmp_path):
    path = _jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"question": "덕수궁 수문장 교대식은?", "answer": "오전 11시입니다.", "tags": "palace"},
            {"prompt": "Best street food?", "completion": "Tteokbokki."},
            {"text": "청계천은 도심 속 산책로다.", "title": "청계천"},
            {"question": "빈 답", "answer": " "},
            {"foo": 1},
        ],
    )

    records, skips = run(path)

    qa1, qa2, doc = records
    assert qa1.first("assistant") == "오전 11시입니다." and qa1.tags == ["palace"]
    assert qa2.first("user") == "Best street food?"
    assert isinstance(doc, Document) and doc.title == "청계천" and doc.source.line == 3
    found = reasons(skips)
    assert set(found) == {f"{path}:4", f"{path}:5"}
    assert "keys: foo" in found[f"{path}:5"]
