"""Prompt files parse with positioned errors and render to chat messages in a sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuneloop.errors import PromptError
from tuneloop.prompts.render import render
from tuneloop.prompts.template import load_prompt, parse_prompt

SEOUL = """\
name: seoul-guide
system: 당신은 서울 여행 안내사입니다.
context:
  - name: 관광지
    text: "경복궁은 {{ season }}에도 아름답습니다."
examples:
  - user: 부산 관광지 2곳을 추천해 주세요.
    assistant: "1. 해운대\\n2. 감천문화마을"
variables:
  count: {type: integer, default: 3}
  topic: {type: string, required: true}
  season: {type: string, default: 봄, enum: [봄, 여름, 가을, 겨울]}
user: "서울의 {{ topic }} {{ count }}곳을 추천해 주세요."
output:
  format: list
"""


def prompt(text: str = SEOUL, name: str = "seoul.yaml"):
    return parse_prompt(text, Path(name))


def test_renders_system_context_examples_and_user_in_order():
    r = render(prompt(), {"topic": "관광지", "count": "2"})
    roles = [m.role for m in r.messages]
    assert roles == ["system", "user", "assistant", "user"]
    system = r.messages[0].content
    assert system.startswith("당신은 서울 여행 안내사입니다.")
    assert "## 참고 자료\n### 관광지\n경복궁은 봄에도 아름답습니다." in system
    assert system.endswith("번호를 매긴 목록으로 답하세요.")
    assert r.messages[-1].content == "서울의 관광지 2곳을 추천해 주세요."
    assert r.variables == {"count": 2, "topic": "관광지", "season": "봄"}


def test_english_prompt_gets_english_headings():
    text = (
        "name: en\nsystem: You are a Seoul guide.\ncontext:\n  - {name: Facts, text: Open daily.}\n"
    )
    text += "user: Recommend 3 places.\noutput: {format: json}\n"
    system = render(prompt(text)).messages[0].content
    assert "## Context\n### Facts\nOpen daily." in system
    assert "Answer with JSON only." in system


def test_missing_required_variable_names_it_and_the_file():
    with pytest.raises(PromptError) as info:
        render(prompt(), {})
    assert "'topic'" in info.value.message
    assert "seoul.yaml:11:3" in info.value.message


def test_unknown_variable_is_an_error_listing_declared_ones():
    with pytest.raises(PromptError, match=r"unknown variable.*'topik'.*declared: count, topic"):
        render(prompt(), {"topik": "x"})


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ({"topic": "a", "count": "many"}, "must be integer"),
        ({"topic": "a", "season": "장마"}, "one of"),
    ],
)
def test_variable_values_are_type_and_enum_checked(given, needle):
    with pytest.raises(PromptError, match=needle):
        render(prompt(), given)


def test_undeclared_variable_in_template_is_an_error_not_blank():
    with pytest.raises(PromptError, match="'city' is undefined"):
        render(prompt("name: x\nuser: '{{ city }} 맛집'\n"))


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ topic.__class__ }}",
        "{% set x = [] %}{{ x.append(1) }}",
    ],
)
def test_sandbox_blocks_template_injection(attack):
    text = "name: x\nvariables: {topic: {type: string, default: a}}\nuser: " + repr(attack) + "\n"
    with pytest.raises(PromptError):
        render(prompt(text))


def test_variable_values_are_not_themselves_templates():
    r = render(prompt(), {"topic": "{{ count * 1000 }}"})
    assert r.messages[-1].content == "서울의 {{ count * 1000 }} 3곳을 추천해 주세요."


def test_malformed_yaml_error_has_line_and_column():
    with pytest.raises(PromptError) as info:
        prompt("name: x\nuser: 서울\n  bad: [1, 2\n")
    assert "seoul.yaml:3:" in info.value.message


def test_schema_errors_point_at_the_offending_key():
    text = "name: x\nuser: hi\nvariables:\n  n:\n    type: int\n"
    with pytest.raises(PromptError) as info:
        prompt(text)
    assert "seoul.yaml:5:11: variables.n.type" in info.value.message
    with pytest.raises(PromptError, match=r"seoul\.yaml:3:1: colour: unknown key"):
        prompt("name: x\nuser: hi\ncolour: red\n")
    with pytest.raises(PromptError, match="user: Field required"):
        prompt("name: x\n")


def test_context_file_is_read_relative_to_the_prompt(tmp_path):
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "facts.md").write_text("광장시장은 1905년에 열었다.", encoding="utf-8")
    file = tmp_path / "p.yaml"
    file.write_text(
        "name: p\ncontext:\n  - {name: 시장, file: ctx/facts.md}\nuser: 시장 1곳 추천\n",
        encoding="utf-8",
    )
    assert "광장시장은 1905년에 열었다." in render(load_prompt(file)).messages[0].content
    (tmp_path / "ctx" / "facts.md").unlink()
    with pytest.raises(PromptError, match=r"p\.yaml:3:.*cannot read"):
        render(load_prompt(file))


def test_bundled_seoul_prompt_renders_three_examples():
    root = Path(__file__).resolve().parents[2] / "examples" / "seoul-travel" / "prompts"
    r = render(load_prompt(root / "seoul-guide.yaml"), {"count": 2})
    assert [m.role for m in r.messages].count("assistant") == 3
    assert "경복궁" in r.messages[0].content
