"""Prompt lint: every rule fires on what it is meant to catch, in Korean and English, points at the
right line, and stays quiet on good prompts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from textwrap import dedent

import pytest

from tuneloop.errors import PromptError
from tuneloop.hookspecs import hookimpl
from tuneloop.plugins import plugin_manager
from tuneloop.prompts.lint import (
    LintContext,
    LintIssue,
    LintRule,
    Rule,
    Severity,
    has_errors,
    lint_prompt,
    lint_rules,
)
from tuneloop.prompts.render import render
from tuneloop.prompts.template import PromptFile, parse_prompt
from tuneloop.text.korean import has_hangul

BUILTIN_IDS = {
    "template-error",
    "undefined-variable",
    "unused-variable",
    "missing-system",
    "vague-request",
    "contradictory-instructions",
    "examples-format-mismatch",
    "invalid-output-schema",
    "empty-example",
    "duplicate-example",
    "context-too-long",
    "pii-in-template",
}


def prompt(text: str, path: Path = Path("t.yaml")) -> PromptFile:
    return parse_prompt(dedent(text).lstrip("\n"), path)


def run(text: str, rule: str, **kwargs: object) -> list[LintIssue]:
    """The issues of one rule only (so other rules' findings cannot make a test pass)."""
    issues = lint_prompt(prompt(text), rules=[rule], **kwargs)  # type: ignore[arg-type]
    assert all(i.rule == rule for i in issues)
    return issues


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the ``nth`` line of the dedented YAML that contains ``needle``."""
    lines = [
        n for n, line in enumerate(dedent(text).lstrip("\n").splitlines(), 1) if needle in line
    ]
    return lines[nth - 1]


def line(issue: LintIssue) -> int:
    return int(issue.location.split(":")[-2])


def yaml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- vague-request ---------------------------------------------------------------------------

SYSTEM_KO = "당신은 서울 여행 가이드입니다."
SYSTEM_EN = "You are a Seoul travel guide."


@pytest.mark.parametrize(
    ("system", "user", "mentions"),
    [
        (SYSTEM_KO, "서울 관광지 알려줘", "no number of items"),
        (SYSTEM_KO, "좋은 곳 몇 개 추천해줘", "'몇'"),
        (SYSTEM_KO, "좋은 곳 몇 개 추천해줘", "'좋은' gives no criteria"),
        (SYSTEM_KO, "괜찮은 맛집 3곳을 목록으로 알려 주세요", "'괜찮은' gives no criteria"),
        (SYSTEM_KO, "부산 맛집 소개해 주세요", "no answer format"),
        (SYSTEM_EN, "Tell me about good places in Seoul", "'good' gives no criteria"),
        (SYSTEM_EN, "Recommend some restaurants in Busan.", "no number of items"),
        (SYSTEM_EN, "Suggest nice cafes, 3 of them, as a list.", "'nice' gives no criteria"),
    ],
)
def test_vague_request_flags_requests_without_count_format_or_criteria(system, user, mentions):
    text = f"""
        name: t
        system: {system}
        user: {user}
    """
    (issue,) = run(text, "vague-request")
    assert issue.severity is Severity.WARNING
    assert mentions in issue.message
    assert line(issue) == line_of(text, "user:") == 3
    assert issue.fix


@pytest.mark.parametrize(
    ("system", "user"),
    [
        (SYSTEM_KO, "서울의 유명한 관광지 3곳을 추천해 주세요"),
        (SYSTEM_KO, "아이와 가기 좋은 곳 세 곳을 번호 목록으로 추천해 주세요"),
        (SYSTEM_KO, "경복궁 입장료 알려줘"),
        (SYSTEM_KO, "조용한 카페 두세 군데 추천해 줘"),
        (SYSTEM_EN, "Recommend three famous places in Seoul as a numbered list"),
        (SYSTEM_EN, "Tell me the opening hours of Gyeongbokgung."),
        (SYSTEM_EN, "Suggest 3 good cafes for working on a laptop."),
    ],
)
def test_vague_request_accepts_specific_requests(system, user):
    text = f"""
        name: t
        system: {system}
        user: {user}
    """
    assert run(text, "vague-request") == []


@pytest.mark.parametrize(
    "user",
    ["'{{ count }}곳의 관광지를 추천해 주세요'", "'Recommend {{ count }} famous places.'"],
)
def test_vague_request_counts_a_required_integer_variable_as_the_quantity(user):
    text = f"""
        name: t
        variables:
          count: {{type: integer, required: true}}
        user: {user}
    """
    assert run(text, "vague-request") == []


def test_vague_request_reads_the_rendered_default():
    text = """
        name: t
        variables:
          topic: {default: 유명한 관광지 3곳}
        user: "서울의 {{ topic }}을 추천해 주세요"
    """
    assert run(text, "vague-request") == []
    vague = text.replace("유명한 관광지 3곳", "관광지")
    assert [i.rule for i in run(vague, "vague-request")] == ["vague-request"]


# --- missing-system ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "example_in_fix"),
    [("서울의 유명한 관광지 3곳을 추천해 주세요", "당신은"), ("Recommend 3 places.", "You are")],
)
def test_missing_system_flags_a_prompt_without_system(user, example_in_fix):
    text = f"""
        name: t
        user: {user}
    """
    (issue,) = run(text, "missing-system")
    assert issue.severity is Severity.WARNING
    assert issue.location == "t.yaml:1:1"
    assert example_in_fix in issue.fix


@pytest.mark.parametrize(
    "system", ["짧게 답하세요.", "Answer briefly.", "'  '"], ids=["ko", "en", "blank"]
)
def test_missing_system_flags_a_system_without_role_or_task(system):
    text = f"""
        name: t
        description: x
        system: {system}
        user: hello
    """
    (issue,) = run(text, "missing-system")
    assert line(issue) == line_of(text, "system:") == 3


@pytest.mark.parametrize(
    "system",
    [
        "당신은 서울 여행 가이드입니다.",
        "관광객을 돕는 챗봇입니다. 짧게 답하세요.",
        "여행자에게 관광지를 추천하는 것이 임무입니다.",
        "You are a Seoul travel guide.",
        "Your task is to recommend places to visit.",
    ],
)
def test_missing_system_accepts_a_role_or_task(system):
    text = f"""
        name: t
        system: {system}
        user: hello
    """
    assert run(text, "missing-system") == []


# --- contradictory-instructions ----------------------------------------------------------------


# "system | user | output | first signal | second signal"; the system text gets a role prefix.
CONTRADICTIONS = [
    "짧게 답하세요. | 관광지 3곳을 자세히 설명해 주세요 | | 짧게 | 자세히",
    "간결하게 쓰세요. | 3곳을 상세하게 설명해 주세요 | | 간결하게 | 상세하게",
    "Be brief. | Describe three places in detail. | | brief | detail",
    "Keep answers concise. | Give a detailed plan. | | concise | detailed",
    "영어로 답하세요. | 관광지 3곳을 한국어로 추천해 주세요 | | 영어로 | 한국어로",
    "Answer in English. | Recommend 3 places, in Korean. | | in english | in korean",
    " | 관광지 3곳을 목록으로 알려 주세요 | format: json | output.format: json | 목록으로",
    " | 관광지 3곳을 표로 정리해 주세요 | format: json | output.format: json | 표로",
    " | List 3 places as a bulleted list. | format: json | output.format: json | bulleted",
    " | Give 3 places in Markdown. | format: json | output.format: json | Markdown",
    "관광지 3곳을 추천하세요. | 관광지 5곳을 알려 주세요 | | 3곳 | 5곳",
    "세 곳만 추천하세요. | 다섯 곳을 알려 주세요 | | 세 곳 | 다섯 곳",
    "Suggest three places. | Recommend 5 places. | | three places | 5 places",
]


def role(user: str) -> str:
    return "당신은 가이드입니다." if has_hangul(user) else "You are a guide."


@pytest.mark.parametrize("case", CONTRADICTIONS)
def test_contradictory_instructions_are_reported_at_the_second_one(case):
    system, user, output, first, second = (part.strip() for part in case.split("|"))
    text = f"""
        name: t
        system: {yaml_str(role(user) + " " + system)}
        user: {yaml_str(user)}
        output: {{{output}}}
    """
    (issue,) = run(text, "contradictory-instructions")
    assert issue.severity is Severity.WARNING
    assert f"'{first}'" in issue.message
    assert f"'{second}'" in issue.message
    assert line(issue) == line_of(text, "user:") == 3
    first_line = line_of(text, "output:" if first.startswith("output") else "system:")
    assert f"t.yaml:{first_line}:" in issue.message


def test_contradiction_with_output_instructions_points_at_them():
    text = """
        name: t
        system: 당신은 가이드입니다. 자세히 설명하세요.
        user: 관광지 3곳을 추천해 주세요
        output:
          format: list
          instructions: 한 줄로 짧게 쓰세요.
    """
    (issue,) = run(text, "contradictory-instructions")
    assert line(issue) == line_of(text, "instructions:") == 6


@pytest.mark.parametrize(
    "case",
    [
        "짧게 답하세요. | 관광지 3곳을 간단히 추천해 주세요 |",
        " | 영어로 된 이름과 함께 한국어로 3곳을 추천해 주세요 |",
        "JSON으로 답하세요. | 관광지 3곳의 목록을 주세요 | format: json",
        " | 관광지 3곳을 추천하고 그중 1곳을 자세히 설명해 주세요 |",
        "Answer in English, briefly. | Recommend 3 places. |",
        " | Give 3 places as a numbered list. | format: list",
        "Answer with JSON. | Recommend 3 places. | format: json",
    ],
)
def test_consistent_instructions_are_not_contradictions(case):
    system, user, output = (part.strip() for part in case.split("|"))
    text = f"""
        name: t
        system: {yaml_str(role(user) + " " + system)}
        user: {yaml_str(user)}
        output: {{{output}}}
    """
    assert run(text, "contradictory-instructions") == []


# --- examples-format-mismatch / invalid-output-schema ------------------------------------------

SCHEMA = "{type: object, required: [places], properties: {places: {type: array}}}"


@pytest.mark.parametrize(
    ("good", "bad", "mentions"),
    [
        ('{"places": ["경복궁"]}', "경복궁을 추천합니다.", "not JSON"),
        ('{"places": ["Gyeongbokgung"]}', "I recommend Gyeongbokgung.", "not JSON"),
        ('{"places": ["경복궁"]}', '{"places": "경복궁"}', "'경복궁' is not of type 'array'"),
        ('{"places": ["N Seoul Tower"]}', '{"spots": []}', "'places' is a required property"),
    ],
)
def test_json_examples_must_parse_and_match_the_schema(good, bad, mentions):
    text = f"""
        name: t
        user: "{{{{ q }}}}"
        variables: {{q: {{required: true}}}}
        examples:
          - user: a
            assistant: {yaml_str(good)}
          - user: b
            assistant: {yaml_str(bad)}
        output:
          format: json
          schema: {SCHEMA}
    """
    (issue,) = run(text, "examples-format-mismatch")
    assert issue.severity is Severity.ERROR
    assert "Example 2" in issue.message
    assert mentions in issue.message
    assert line(issue) == line_of(text, "assistant:", nth=2) == 8


@pytest.mark.parametrize(
    ("good", "bad"),
    [
        ("1. 경복궁\n2. 남산", "경복궁과 남산을 추천합니다."),
        ("- Gyeongbokgung\n- Namsan", "Gyeongbokgung."),
    ],
)
def test_list_examples_must_be_lists(good, bad):
    text = f"""
        name: t
        user: hi
        examples:
          - user: a
            assistant: {yaml_str(good)}
          - user: b
            assistant: {yaml_str(bad)}
        output: {{format: list}}
    """
    (issue,) = run(text, "examples-format-mismatch")
    assert issue.severity is Severity.WARNING
    assert line(issue) == line_of(text, "assistant:", nth=2)


def test_examples_in_plain_text_format_are_not_checked():
    text = """
        name: t
        user: hi
        examples:
          - {user: a, assistant: "경복궁을 추천합니다."}
    """
    assert run(text, "examples-format-mismatch") == []


def test_invalid_or_ignored_output_schema_is_reported():
    bad = """
        name: t
        user: hi
        output:
          format: json
          schema: {type: obj}
    """
    (issue,) = run(bad, "invalid-output-schema")
    assert issue.severity is Severity.ERROR
    assert line(issue) == line_of(bad, "schema:")
    ignored = f"""
        name: t
        user: hi
        output:
          format: text
          schema: {SCHEMA}
    """
    (issue,) = run(ignored, "invalid-output-schema")
    assert issue.severity is Severity.WARNING
    good = ignored.replace("format: text", "format: json")
    assert run(good, "invalid-output-schema") == []


# --- undefined-variable / unused-variable / template-error -------------------------------------


@pytest.mark.parametrize(
    "user",
    ["'{{ city }}의 {{ topic }} 3곳을 추천해 주세요'", "'Recommend 3 {{ topic }} in {{ city }}.'"],
)
def test_undefined_variable_is_an_error_at_the_field_using_it(user):
    text = f"""
        name: t
        system: "You are a guide for {{{{ city }}}}."
        variables:
          topic: {{default: 관광지}}
        user: {user}
    """
    issues = run(text, "undefined-variable")
    assert [(i.severity, line(i)) for i in issues] == [
        (Severity.ERROR, line_of(text, "system:")),
        (Severity.ERROR, line_of(text, "user:")),
    ]
    assert all("'city'" in i.message for i in issues)


def test_loop_and_set_names_are_not_undefined_variables():
    text = """
        name: t
        variables:
          places: {type: list, default: [경복궁, 남산]}
        user: "{% set n = 3 %}{% for p in places %}{{ p }} {% endfor %}{{ n }}곳 중 추천해 주세요"
    """
    assert run(text, "undefined-variable") == []


def test_variables_in_context_text_count_as_used():
    text = """
        name: t
        variables:
          city: {default: 서울}
          unused: {default: x}
        context:
          - name: 정보
            text: "{{ city }} 관광 정보"
        user: 추천해 주세요
    """
    (issue,) = run(text, "unused-variable")
    assert issue.severity is Severity.WARNING
    assert "'unused'" in issue.message
    assert line(issue) == line_of(text, "unused:") == 4


def test_template_syntax_error_is_reported_at_its_field():
    text = """
        name: t
        system: 당신은 가이드입니다.
        user: "{{ topic 3곳을 추천해 주세요"
    """
    (issue,) = run(text, "template-error")
    assert issue.severity is Severity.ERROR
    assert line(issue) == 3


def test_unreadable_context_file_is_a_template_error(tmp_path):
    text = """
        name: t
        context:
          - {name: 정보, file: missing.txt}
        user: hi
    """
    issues = lint_prompt(prompt(text, tmp_path / "t.yaml"), rules=["template-error"])
    (issue,) = issues
    assert "missing.txt" in issue.message


def test_context_renders_with_placeholders_for_required_and_undeclared_variables():
    ctx = LintContext(
        prompt(
            """
            name: t
            variables:
              count: {type: integer, required: true}
              city: {required: true}
            user: "{{ city }} {{ count }}곳 {{ ghost }}"
            """
        )
    )
    assert ctx.rendered is not None
    assert ctx.user_text == "<city> 3곳 <ghost>"


# --- context-too-long ------------------------------------------------------------------------

KO_SHORT = """
    name: t
    system: 당신은 서울 여행 가이드입니다.
    user: 서울의 유명한 관광지 3곳을 추천해 주세요.
    params: {max_tokens: MAX}
"""
EN_SHORT = """
    name: t
    system: You are a Seoul travel guide.
    user: Recommend three famous places to visit in Seoul.
    params: {max_tokens: MAX}
"""


@pytest.fixture(scope="module")
def tiny_model(tiny_model_dir):
    from tuneloop.models.local import LocalChatModel

    return LocalChatModel("tiny", {"path": str(tiny_model_dir)})


@pytest.mark.parametrize("text", [KO_SHORT, EN_SHORT], ids=["ko", "en"])
@pytest.mark.parametrize(
    ("max_tokens", "expected"),
    [(100, None), (400, Severity.WARNING), (480, Severity.ERROR)],
)
def test_context_too_long_counts_with_the_model_tokenizer(tiny_model, text, max_tokens, expected):
    source = text.replace("MAX", str(max_tokens))
    issues = run(source, "context-too-long", model=tiny_model)
    if expected is None:
        assert issues == []
        return
    (issue,) = issues
    assert issue.severity is expected
    exact = tiny_model.count_tokens(render(prompt(source)).messages)
    assert f"The prompt is {exact} tokens + {max_tokens}" in issue.message
    assert "512-token" in issue.message
    assert "tiny's tokenizer" in issue.message


@pytest.mark.parametrize("text", [KO_SHORT, EN_SHORT], ids=["ko", "en"])
@pytest.mark.parametrize(
    ("window", "expected"),
    [(1000, None), (150, Severity.WARNING), (110, Severity.ERROR)],
)
def test_context_too_long_estimates_without_a_model(text, window, expected):
    source = text.replace("MAX", "100")
    issues = run(source, "context-too-long", context_window=window)
    if expected is None:
        assert issues == []
        return
    (issue,) = issues
    assert issue.severity is expected
    assert "Estimated without a model" in issue.message


def test_context_too_long_points_at_the_biggest_part_and_defaults_to_256_answer_tokens():
    text = f"""
        name: t
        system: You are a guide.
        context:
          - name: facts
            text: {yaml_str("Gyeongbokgung opens at 9. " * 40)}
        user: Recommend three places.
    """
    (issue,) = run(text, "context-too-long", context_window=400)
    assert "+ 256 for the answer" in issue.message
    assert line(issue) == line_of(text, "context:") == 3


def test_context_too_long_needs_a_window():
    assert run(EN_SHORT.replace("MAX", "100000"), "context-too-long") == []


# --- pii-in-template -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("010-1234-5678", "Mobile phone number"),
        ("01012345678", "Mobile phone number"),
        ("+82 10-1234-5678", "Mobile phone number"),
        ("02-123-4567", "Phone number"),
        ("031-1234-5678", "Phone number"),
        ("hong.gildong@gmail.com", "E-mail address"),
        ("900101-1234567", "Resident registration number"),
        ("0203044123456", "Resident registration number"),
        ("850315-5123456", "Resident registration number"),
        ("4111-1111-1111-1111", "Card number"),
        ("9410 1234 5678 9010", "Card number"),
    ],
)
@pytest.mark.parametrize(
    ("template", "key"),
    [
        ("system: '당신은 상담원입니다. 문의: {v}'\nuser: hi", "system:"),
        ("system: 'You are an agent. Contact: {v}'\nuser: hi", "system:"),
        ("user: '{v} 번호로 연락해 주세요'", "user:"),
        ("examples:\n  - user: 연락처 알려줘\n    assistant: '{v}'\nuser: hi", "assistant:"),
        ("context:\n  - name: staff\n    text: 'Kim: {v}'\nuser: hi", " text:"),
    ],
    ids=["system-ko", "system-en", "user", "example", "context"],
)
def test_pii_in_template_is_an_error_at_its_field(value, kind, template, key):
    text = "name: t\n" + template.format(v=value) + "\n"
    (issue,) = run(text, "pii-in-template")
    assert issue.severity is Severity.ERROR
    assert issue.message.startswith(kind)
    assert value not in issue.message  # masked
    assert line(issue) == line_of(text, key)


@pytest.mark.parametrize(
    "value",
    [
        "1588-1234",  # business number
        "901301-1234567",  # month 13
        "900230-1234567",  # 30 February
        "900101-9234567",  # gender digit 9
        "4111-1111-1111-1112",  # Luhn fails
        "user@example.com",  # reserved for documentation
        "010-0000-0000",  # obviously fake
        "입장료는 3,000원이고 09:00-18:00에 엽니다",
        "Tickets cost 3000 won, open 2024-05-01.",
    ],
)
def test_non_personal_numbers_are_not_pii(value):
    text = f"name: t\nsystem: 'You are a guide. {value}'\nuser: '{value}'\n"
    assert run(text, "pii-in-template") == []


# --- empty-example / duplicate-example ---------------------------------------------------------


@pytest.mark.parametrize(("user", "assistant"), [("a", "''"), ("'  '", "경복궁"), ("q", "' '")])
def test_empty_example_text_is_reported(user, assistant):
    text = f"""
        name: t
        user: hi
        examples:
          - user: 경복궁은 언제 여나요?
            assistant: 오전 9시에 엽니다.
          - user: {user}
            assistant: {assistant}
    """
    (issue,) = run(text, "empty-example")
    assert issue.severity is Severity.WARNING
    role = "assistant:" if assistant.strip("' ") == "" else "- user:"
    assert line(issue) == line_of(text, role, nth=2)


@pytest.mark.parametrize(
    ("second", "mentions"),
    [
        ("{user: '경복궁은  언제 여나요?', assistant: '오전 9시에 엽니다.'}", "repeats example 1"),
        ("{user: '경복궁은 언제 여나요?', assistant: '오전 10시에 엽니다.'}", "different answer"),
    ],
)
def test_duplicate_examples_are_reported_at_the_copy(second, mentions):
    text = f"""
        name: t
        user: hi
        examples:
          - {{user: '경복궁은 언제 여나요?', assistant: '오전 9시에 엽니다.'}}
          - {{user: 'When does Gyeongbokgung open?', assistant: 'At 9 am.'}}
          - {second}
    """
    (issue,) = run(text, "duplicate-example")
    assert "Example 3" in issue.message and mentions in issue.message
    assert line(issue) == 6


def test_distinct_examples_are_not_duplicates():
    text = """
        name: t
        user: hi
        examples:
          - {user: '경복궁은 언제 여나요?', assistant: '오전 9시에 엽니다.'}
          - {user: 'When does Gyeongbokgung open?', assistant: 'At 9 am.'}
    """
    assert run(text, "duplicate-example") == []
    assert run(text, "empty-example") == []


# --- lint_prompt, registry ---------------------------------------------------------------------

MESSY = """
    name: t
    user: 좋은 곳 몇 개 추천해줘
    examples:
      - {user: 연락처, assistant: 010-1234-5678}
    variables:
      unused: {default: x}
"""


def test_lint_prompt_runs_every_rule_sorted_by_location():
    issues = lint_prompt(prompt(MESSY))
    assert [(i.rule, line(i)) for i in issues] == [
        ("missing-system", 1),
        ("vague-request", 2),
        ("pii-in-template", 4),
        ("unused-variable", 6),
    ]
    assert has_errors(issues)
    assert issues[0].as_dict() == {
        "rule": "missing-system",
        "severity": "warning",
        "message": issues[0].message,
        "fix": issues[0].fix,
        "location": "t.yaml:1:1",
    }


def test_sorting_compares_lines_as_numbers():
    filler = "\n".join(f"# note {n}" for n in range(8))
    source = f"name: t\nuser: '010-1234-5678'\n{filler}\nvariables:\n  unused: {{default: x}}\n"
    issues = lint_prompt(prompt(source), rules=["unused-variable", "pii-in-template"])
    assert [(i.rule, line(i)) for i in issues] == [("pii-in-template", 2), ("unused-variable", 12)]


def test_rules_selects_and_disable_removes():
    selected = lint_prompt(prompt(MESSY), rules=["vague-request", "unused-variable"])
    assert {i.rule for i in selected} == {"vague-request", "unused-variable"}
    rest = lint_prompt(prompt(MESSY), disable=["pii-in-template", "missing-system"])
    assert {i.rule for i in rest} == {"vague-request", "unused-variable"}
    assert not has_errors(rest)
    assert lint_prompt(prompt(MESSY), rules=[]) == lint_prompt(prompt(MESSY))  # empty: all


def test_unknown_rule_ids_are_errors():
    with pytest.raises(PromptError, match="'no-such-rule'") as exc:
        lint_prompt(prompt(MESSY), rules=["no-such-rule"])
    assert "vague-request" in (exc.value.hint or "")
    with pytest.raises(PromptError, match="'typo'"):
        lint_prompt(prompt(MESSY), disable=["typo"])


def test_a_prompt_file_can_disable_rules_for_itself():
    source = "# tuneloop-lint: disable=missing-system, pii-in-template\n" + dedent(MESSY).lstrip()
    issues = lint_prompt(prompt(source))
    assert {i.rule for i in issues} == {"vague-request", "unused-variable"}


def test_disable_comment_inside_a_block_scalar_is_text_not_a_comment():
    source = dedent(MESSY).lstrip() + "system: |\n  # tuneloop-lint: disable=vague-request\n"
    issues = lint_prompt(prompt(source), rules=["vague-request"])
    assert [i.rule for i in issues] == ["vague-request"]


def test_unknown_rule_in_a_disable_comment_names_its_line():
    source = dedent(MESSY).lstrip() + "# tuneloop-lint: disable=vauge-request\n"
    with pytest.raises(PromptError, match=r"t\.yaml:7:1: unknown lint rule"):
        lint_prompt(prompt(source))


def test_registry_holds_every_builtin_rule_with_metadata():
    rules = lint_rules()
    assert set(rules) >= BUILTIN_IDS
    for rule_id in BUILTIN_IDS:
        rule = rules[rule_id]
        assert isinstance(rule, LintRule)
        assert rule.id == rule_id
        assert rule.description
        assert isinstance(rule.severity, Severity)


class _NoTodo(Rule):
    id = "no-todo"
    severity = Severity.INFO
    description = "TODO left in the user message."

    def check(self, ctx: LintContext) -> Iterable[LintIssue]:
        if "TODO" in ctx.prompt.template.user:
            yield self.issue(ctx, ("user",), "TODO in user.", "Finish the prompt.")


class _HousePlugin:
    @hookimpl
    def register_lint_rules(self, register: Callable[[LintRule], None]) -> None:
        register(_NoTodo())


def test_plugins_add_rules_through_the_hook():
    pm = plugin_manager()
    plugin = _HousePlugin()
    pm.register(plugin, name="house-rules")
    try:
        assert "no-todo" in lint_rules()
        issues = lint_prompt(prompt("name: t\nuser: TODO\n"), rules=["no-todo"])
        assert [(i.rule, i.severity, i.location) for i in issues] == [
            ("no-todo", Severity.INFO, "t.yaml:2:1")
        ]
        assert not has_errors(issues)
    finally:
        pm.unregister(plugin)
    assert "no-todo" not in lint_rules()
