"""Retrieved sources through the CLI: `prompt run` stores them, `prompt render` and `chat
--prompt` show them, with a registered index and with a documents folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuneloop.config import load_settings
from tuneloop.registry import Store

DOCS = {
    "gyeongbokgung.md": "# 경복궁\n\n경복궁은 화요일에 쉽니다. 관람료는 3,000원입니다.\n",
    "namsan.md": "# 남산서울타워\n\n남산서울타워 전망대는 오전 10시에 문을 엽니다.\n",
}
PROMPT = """\
name: grounded
system: 당신은 서울 여행 안내원입니다.
context:
  - name: 관광 자료
    retrieve: {{index: {index}, k: 1}}
variables:
  question: {{required: true}}
user: "{{{{ question }}}}"
"""


@pytest.fixture
def grounded(project: Path, invoke) -> Path:
    docs = project / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    (project / "prompts").mkdir(exist_ok=True)
    (project / "prompts" / "grounded.yaml").write_text(
        PROMPT.format(index="../docs"), encoding="utf-8"
    )
    assert invoke("--project", project, "models", "add", "echo", "--backend", "echo").exit_code == 0
    return project


def test_prompt_run_stores_and_prints_the_sources(grounded: Path, invoke) -> None:
    result = invoke(
        "--project", grounded, "prompt", "run", "grounded", "--model", "echo",
        "--var", "question=경복궁은 언제 쉬나요?", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    [answer] = data["results"]
    assert [(s["id"], s["source"]) for s in answer["sources"]] == [(1, "docs/gyeongbokgung.md")]
    with Store.from_settings(load_settings(grounded)) as store:
        [stored] = store.prompt_runs.results(data["run_id"])
    assert stored.sources == answer["sources"]
    assert "화요일" in stored.sources[0]["text"]

    plain = invoke(
        "--project", grounded, "prompt", "run", "grounded", "--model", "echo",
        "--var", "question=남산 전망대",
    )  # fmt: skip
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.strip() == "남산 전망대"  # stdout is the answer alone
    assert "[1] docs/namsan.md:1" in plain.stderr


def test_prompt_render_json_lists_the_sources(grounded: Path, invoke) -> None:
    result = invoke(
        "--project", grounded, "prompt", "render", "grounded",
        "--var", "question=남산서울타워", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sources"][0]["source"] == "docs/namsan.md"
    assert "[1] # 남산서울타워" in data["messages"][0]["content"]


def test_chat_with_a_prompt_over_a_registered_index_shows_its_sources(
    grounded: Path, invoke
) -> None:
    built = invoke("--project", grounded, "index", "build", grounded / "docs", "--name", "seoul")
    assert built.exit_code == 0, built.output
    (grounded / "prompts" / "grounded.yaml").write_text(
        PROMPT.format(index="seoul@latest"), encoding="utf-8"
    )
    result = invoke(
        "--project", grounded, "chat", "--model", "echo", "--prompt", "grounded",
        "-m", "경복궁 관람료", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["prompt"] == "grounded"
    assert [s["source"] for s in data["sources"]] == ["docs/gyeongbokgung.md"]
    assert data["content"] == "경복궁 관람료"  # the echo model got the user's own words last

    shown = invoke(
        "--project", grounded, "chat", "--model", "echo", "--prompt", "grounded",
        "--no-stream", input="남산 전망대\n경복궁 관람료\n/exit\n",
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "[1] docs/namsan.md:1" in shown.stderr
    assert "[1] docs/gyeongbokgung.md:1" in shown.stderr  # retrieved again for the new question


def test_chat_refuses_system_with_prompt(grounded: Path, invoke) -> None:
    result = invoke(
        "--project", grounded, "chat", "--model", "echo", "--prompt", "grounded",
        "--system", "x", "-m", "hi",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "contradict" in str(result.exception)


@pytest.mark.slow
def test_the_samples_grounded_prompt_answers_from_the_sample_index(project: Path, invoke) -> None:
    seoul = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel"
    assert invoke("--project", project, "models", "add", "echo", "--backend", "echo").exit_code == 0
    built = invoke("--project", project, "index", "build", seoul / "docs", "--name", "seoul-docs")
    assert built.exit_code == 0, built.output
    lint = invoke("--project", project, "prompt", "lint", seoul / "prompts" / "seoul-grounded.yaml")
    assert lint.exit_code == 0, lint.output

    result = invoke(
        "--project", project, "chat", "--model", "echo",
        "--prompt", seoul / "prompts" / "seoul-grounded.yaml",
        "-m", "남산서울타워 가는 방법 알려 주세요.", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [s["id"] for s in data["sources"]] == [1, 2]
    assert data["sources"][0]["source"] == "docs/n-seoul-tower.html"
