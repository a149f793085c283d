"""The ``retrieve`` context item: a real BM25 index over Korean documents in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneloop.errors import PromptError
from tuneloop.knowledge import BM25Retriever, Hit, Passage, build_index, resolve_documents
from tuneloop.knowledge.resolve import index_resolver
from tuneloop.prompts.render import render as render_only
from tuneloop.prompts.template import load_prompt
from tuneloop.registry import Store
from tuneloop.text.retrieval import source_dicts

DOCS = {
    "gyeongbokgung.md": "# 경복궁\n\n경복궁은 1395년에 지은 조선의 법궁입니다.\n\n"
    "경복궁은 화요일에 쉽니다. 관람료는 3,000원입니다.\n",
    "namsan.md": "# 남산서울타워\n\n남산서울타워 전망대는 오전 10시에 문을 엽니다.\n",
    "bibimbap.md": "# 비빔밥\n\n비빔밥은 밥에 나물과 고추장을 비벼 먹는 음식입니다.\n",
}


def render(prompt, variables, *, indexes=None, **kwargs):
    """Render as the CLI, eval stage and server do: with the knowledge component's resolver."""
    return render_only(
        prompt, variables, indexes=indexes or index_resolver(prompt.base_dir), **kwargs
    )


def test_a_retrieving_prompt_rendered_without_a_resolver_says_where_to_render_it(tmp_path):
    path = _project(tmp_path, "{index: ../docs, k: 2}")
    with pytest.raises(PromptError, match="nothing here can open knowledge indexes"):
        render_only(load_prompt(path), {"question": "경복궁"})


def _project(tmp_path: Path, retrieve: str) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    path = prompts / "guide.yaml"
    path.write_text(
        "name: guide\n"
        "system: 당신은 서울 여행 안내원입니다.\n"
        "context:\n"
        "  - name: 관광 자료\n"
        f"    retrieve: {retrieve}\n"
        "variables:\n"
        "  question: {required: true}\n"
        "user: '{{ question }}'\n",
        encoding="utf-8",
    )
    return path


def test_retrieved_passages_are_numbered_sources_with_file_and_line(tmp_path: Path) -> None:
    prompt = load_prompt(_project(tmp_path, "{index: ../docs, k: 2}"))
    rendered = render(prompt, {"question": "경복궁은 언제 쉬나요?"})
    system = rendered.messages[0].content
    assert rendered.sources, "the palace question must find the palace document"
    assert all(h.passage.source == "docs/gyeongbokgung.md" for h in rendered.sources)
    first = rendered.sources[0].passage
    assert f"[1] {first.text.strip()} ({first.source}:{first.line})" in system
    assert "[1]처럼 표시" in system  # the default Korean citing instruction
    assert "비빔밥" not in system
    assert rendered.messages[-1].content == "경복궁은 언제 쉬나요?"
    assert list(rendered.index_hashes) == ["../docs"]
    assert rendered.index_hashes["../docs"].startswith("sha256:")


def test_numbering_continues_across_retrieve_items(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: ../docs, k: 1}")
    text = path.read_text(encoding="utf-8").replace(
        "variables:",
        "  - name: 음식\n"
        "    retrieve: {index: ../docs/bibimbap.md, query: 비빔밥 고추장}\n"
        "variables:",
    )
    path.write_text(text, encoding="utf-8")
    rendered = render(load_prompt(path), {"question": "경복궁 관람료"})
    system = rendered.messages[0].content
    assert [h.passage.source for h in rendered.sources] == [
        "docs/gyeongbokgung.md",
        "bibimbap.md",
    ]
    assert "[1] # 경복궁\n" in system and "[2] # 비빔밥\n\n비빔밥은" in system
    assert "(bibimbap.md:1)" in system
    assert system.count("[1]처럼 표시") == 1  # one citing instruction after all the context


def test_min_score_drops_weak_passages_and_empty_result_is_said(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: ../docs, k: 3, min_score: 1000}")
    rendered = render(load_prompt(path), {"question": "경복궁은 언제 쉬나요?"})
    assert rendered.sources == ()
    system = rendered.messages[0].content
    assert "관련 자료를 찾지 못했습니다." in system
    assert "[1]" not in system


def test_unmatched_question_gets_the_configured_empty_line_in_english(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: ../docs, empty: 'Nothing in the sources.', cite: ''}")
    text = path.read_text(encoding="utf-8").replace("당신은 서울 여행 안내원입니다.", "Guide.")
    path.write_text(text, encoding="utf-8")
    rendered = render(load_prompt(path), {"question": "quantum chromodynamics"})
    assert rendered.sources == ()
    assert "Nothing in the sources." in rendered.messages[0].content


def test_english_prompt_gets_the_english_citing_instruction(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: ../docs}")
    text = path.read_text(encoding="utf-8").replace("당신은 서울 여행 안내원입니다.", "Guide.")
    path.write_text(text, encoding="utf-8")
    (tmp_path / "docs" / "en.md").write_text(
        "# Gyeongbokgung\n\nGyeongbokgung is closed on Tuesdays.\n", encoding="utf-8"
    )
    rendered = render(load_prompt(path), {"question": "When is Gyeongbokgung closed?"})
    assert [h.passage.source for h in rendered.sources] == ["docs/en.md"]
    assert "cite the ones you use as [1]" in rendered.messages[0].content


def test_a_missing_documents_path_is_a_prompt_error(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: ../nowhere/}")
    with pytest.raises(PromptError, match="nowhere"):
        render(load_prompt(path), {"question": "경복궁"})


def test_a_registered_index_without_a_store_says_how_to_fix(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: seoul-docs@production}")
    with pytest.raises(PromptError) as info:
        render(load_prompt(path), {"question": "경복궁"})
    assert "seoul-docs@production" in info.value.message
    assert info.value.hint and "index build" in info.value.hint


def test_an_edited_document_is_searched_again(tmp_path: Path) -> None:
    path = _project(tmp_path, "{index: ../docs}")
    prompt = load_prompt(path)
    before = render(prompt, {"question": "경복궁 관람료"}).index_hashes["../docs"]
    (tmp_path / "docs" / "gyeongbokgung.md").write_text(
        "# 경복궁\n\n경복궁 관람료는 5,000원으로 올랐습니다.\n", encoding="utf-8"
    )
    after = render(prompt, {"question": "경복궁 관람료"})
    assert after.index_hashes["../docs"] != before
    assert "5,000원" in after.messages[0].content


def test_a_custom_resolver_is_used_for_registered_names(tmp_path: Path) -> None:
    passage = Passage("덕수궁 돌담길은 산책하기 좋습니다.", "docs/deoksugung.md", 0, 20, 3)
    retriever = BM25Retriever([passage])
    path = _project(tmp_path, "{index: palaces@2}")
    seen: list[str] = []

    def resolve(ref: str) -> BM25Retriever:
        seen.append(ref)
        return retriever

    rendered = render(load_prompt(path), {"question": "덕수궁 돌담길"}, indexes=resolve)
    assert seen == ["palaces@2"]
    assert "[1] 덕수궁 돌담길은 산책하기 좋습니다. (docs/deoksugung.md:3)" in (
        rendered.messages[0].content
    )


def test_source_dicts_number_from_one_with_file_line_score_and_text() -> None:
    hits = [
        Hit(Passage("가", "docs/a.md", 0, 1, 2), 3.14159, 0),
        Hit(Passage("나", "docs/b.md", 5, 6, None), 1.0, 1),
    ]
    dicts = source_dicts(hits)
    assert [d["id"] for d in dicts] == [1, 2]
    assert dicts[0] == {
        "id": 1,
        "source": "docs/a.md",
        "line": 2,
        "start": 0,
        "end": 1,
        "score": 3.1416,
        "text": "가",
    }
    assert dicts[1]["line"] is None


def test_the_resolver_treats_existing_folders_as_documents(tmp_path: Path) -> None:
    _project(tmp_path, "{index: ../docs}")
    resolve = index_resolver(tmp_path)
    retriever = resolve("docs")
    assert [h.passage.source for h in retriever.search("남산 전망대", k=1)] == ["docs/namsan.md"]


def test_a_registered_index_version_is_opened_from_the_store(tmp_path: Path, store: Store) -> None:
    path = _project(tmp_path, "{index: seoul-docs@1, k: 1}")
    found = resolve_documents(["docs"], tmp_path, where="test")
    build_index(store, "seoul-docs", found, author="test")
    rendered = render(
        load_prompt(path),
        {"question": "남산서울타워 전망대"},
        indexes=index_resolver(path.parent, store),
    )
    assert [h.passage.source for h in rendered.sources] == ["docs/namsan.md"]
    assert "(docs/namsan.md:" in rendered.messages[0].content
    unknown = index_resolver(path.parent, store)
    with pytest.raises(PromptError, match="nope"):
        unknown("nope@production")


def test_lint_checks_a_retrieving_prompt_without_searching_or_a_store(tmp_path: Path) -> None:
    from tuneloop.prompts.lint import lint_prompt

    path = _project(tmp_path, "{index: seoul-docs@production, query: '{{ place }} 운영 시간'}")
    issues = lint_prompt(load_prompt(path))
    rules = {i.rule for i in issues}
    assert "undefined-variable" in rules  # `place` in the retrieve query is not declared
    assert not any("seoul-docs" in i.message for i in issues)  # the index is never opened
