"""``tuneloop models`` and ``tuneloop chat``: naming models, then talking to them."""

from __future__ import annotations

import json

import pytest

from tuneloop.errors import (
    BackendUnavailable,
    InvalidRequest,
    ModelNotFound,
    RegistryError,
)


def models_by_name(invoke, project):
    result = invoke("--project", project, "models", "list", "--json")
    assert result.exit_code == 0, result.output
    return {m["name"]: m for m in json.loads(result.stdout)}


def json_objects(text):
    """Every top-level JSON object in ``text`` (the REPL mixes them with prompts)."""
    decoder, found, pos = json.JSONDecoder(), [], 0
    while (start := text.find("{\n", pos)) != -1:
        obj, pos = decoder.raw_decode(text, start)
        found.append(obj)
    return found


def test_models_list_includes_the_builtin_smollm2(invoke, project):
    smollm2 = models_by_name(invoke, project)["smollm2-135m"]

    assert smollm2["backend"] == "local"
    assert smollm2["source"] == "builtin"
    assert smollm2["config"]["gguf_file"].endswith(".gguf")


def test_models_add_local_folder_then_list_shows_it_registered(invoke, project, tiny_model_dir):
    result = invoke(
        "--project", project, "models", "add", "tiny", "--backend", "local",
        "--path", tiny_model_dir, "--description", "random weights",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    tiny = models_by_name(invoke, project)["tiny"]
    assert tiny["source"] == "registered"
    assert tiny["backend"] == "local"
    assert tiny["config"] == {"path": str(tiny_model_dir.resolve())}
    assert tiny["description"] == "random weights"
    table = invoke("--project", project, "models", "list")
    assert "tiny" in table.stdout
    assert "registered" in table.stdout


def test_models_add_with_a_nonexistent_path_fails_naming_the_path(invoke, project, tmp_path):
    missing = tmp_path / "no-such-model"

    result = invoke(
        "--project", project, "models", "add", "m", "--backend", "local", "--path", missing
    )

    assert isinstance(result.exception, InvalidRequest)
    assert result.exception.exit_code != 0
    assert str(missing) in result.exception.message
    assert "--path" in (result.exception.hint or "")
    assert "m" not in models_by_name(invoke, project)


def test_models_add_a_folder_without_weights_fails_before_registering(invoke, project, tmp_path):
    empty = tmp_path / "empty-model"
    empty.mkdir()

    result = invoke(
        "--project", project, "models", "add", "m", "--backend", "local", "--path", empty
    )

    assert isinstance(result.exception, BackendUnavailable)
    assert "config.json" in result.exception.message
    assert "m" not in models_by_name(invoke, project)


def test_models_add_with_an_unknown_backend_lists_the_installed_backends(invoke, project):
    result = invoke("--project", project, "models", "add", "m", "--backend", "vllm-typo")

    assert isinstance(result.exception, InvalidRequest)
    assert "'vllm-typo'" in result.exception.message
    hint = result.exception.hint or ""
    for backend in ("echo", "local", "openai"):
        assert backend in hint


def test_models_add_refuses_a_builtin_model_name(invoke, project):
    result = invoke("--project", project, "models", "add", "smollm2-135m", "--backend", "echo")

    assert isinstance(result.exception, InvalidRequest)
    assert "built-in" in result.exception.message
    assert models_by_name(invoke, project)["smollm2-135m"]["source"] == "builtin"


def test_models_add_an_existing_name_needs_replace(invoke, project):
    add = ("--project", project, "models", "add", "bot", "--backend", "echo")
    assert invoke(*add, "--description", "first").exit_code == 0

    again = invoke(*add, "--description", "second")
    assert isinstance(again.exception, RegistryError)
    assert again.exception.exit_code == 5
    assert "--replace" in (again.exception.hint or "")
    assert models_by_name(invoke, project)["bot"]["description"] == "first"

    assert invoke(*add, "--description", "second", "--replace").exit_code == 0
    assert models_by_name(invoke, project)["bot"]["description"] == "second"


def test_models_remove_forgets_the_registration(invoke, project):
    assert invoke("--project", project, "models", "add", "bot", "--backend", "echo").exit_code == 0

    result = invoke("--project", project, "models", "remove", "bot")

    assert result.exit_code == 0, result.output
    assert "bot" not in models_by_name(invoke, project)
    again = invoke("--project", project, "models", "remove", "bot")
    assert isinstance(again.exception, ModelNotFound)
    assert again.exception.exit_code == 5


def test_chat_one_shot_json_with_a_local_model_reports_content_finish_reason_and_usage(
    invoke, project, tiny_model_dir
):
    add = invoke(
        "--project",
        project,
        "models",
        "add",
        "tiny",
        "--backend",
        "local",
        "--path",
        tiny_model_dir,
    )
    assert add.exit_code == 0, add.output

    result = invoke(
        "--project", project, "chat", "--model", "tiny", "-m", "서울의 유명한 관광지",
        "--json", "--max-tokens", "5", "--temperature", "0",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    [answer] = json_objects(result.stdout)
    assert answer["model"] == "tiny"
    assert isinstance(answer["content"], str)
    assert answer["finish_reason"] in {"stop", "length"}
    usage = answer["usage"]
    assert 1 <= usage["completion_tokens"] <= 5
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_one_shot_prints_the_echoed_message(invoke, project):
    result = invoke("--project", project, "chat", "--model", "echo:x", "-m", "서울 관광지")

    assert result.exit_code == 0, result.output
    assert result.stdout == "서울 관광지\n"


def test_chat_one_shot_json_prints_nothing_but_the_json_on_stdout(invoke, project):
    result = invoke("--project", project, "chat", "--model", "echo:x", "-m", "hi there", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["content"] == "hi there"
    assert result.stdout.startswith("{")


def test_chat_passes_max_tokens_to_the_model(invoke, project):
    result = invoke(
        "--project", project, "chat", "--model", "echo:x", "-m", "a b c d", "--max-tokens", "2",
        "--json",
    )  # fmt: skip

    [answer] = json_objects(result.stdout)
    assert answer["content"] == "a b "
    assert answer["finish_reason"] == "length"
    assert answer["usage"]["completion_tokens"] == 2


def test_chat_without_model_uses_the_projects_default_model(invoke, tmp_path):
    folder = tmp_path / "p"
    assert invoke("init", folder, "--model", "bot").exit_code == 0
    assert invoke("--project", folder, "models", "add", "bot", "--backend", "echo").exit_code == 0

    result = invoke("--project", folder, "chat", "-m", "hello there", "--json")

    assert result.exit_code == 0, result.output
    [answer] = json_objects(result.stdout)
    assert answer["model"] == "bot"
    assert answer["content"] == "hello there"


def test_chat_repl_echoes_each_message_until_exit(invoke, project):
    result = invoke(
        "--project", project, "chat", "--model", "echo:x", input="안녕\n/reset\n/exit\n"
    )

    assert result.exit_code == 0, result.output
    assert "assistant> 안녕" in result.stdout
    assert "Conversation cleared" in result.stderr
    assert "/reset" in result.stderr  # the REPL explains its commands first


@pytest.mark.parametrize(
    ("lines", "second_prompt_tokens"),
    [
        (["a b c", "d"], 3 + 3 + 1),  # user, assistant echo, user
        (["a b c", "/reset", "d"], 1),
    ],
    ids=["keeps-history", "reset-forgets"],
)
def test_chat_repl_keeps_the_conversation_until_reset(invoke, project, lines, second_prompt_tokens):
    stdin = "\n".join([*lines, "/exit"]) + "\n"

    result = invoke(
        "--project", project, "chat", "--model", "echo:x", "--json", "--no-stream", input=stdin
    )

    assert result.exit_code == 0, result.output
    first, second = json_objects(result.stdout)
    assert first["content"] == "a b c"
    assert second["content"] == "d"
    assert second["usage"]["prompt_tokens"] == second_prompt_tokens


def test_chat_repl_ends_cleanly_at_end_of_input(invoke, project):
    result = invoke("--project", project, "chat", "--model", "echo:x", input="first\n\nsecond\n")

    assert result.exit_code == 0, result.output
    assert "assistant> first" in result.stdout
    assert "assistant> second" in result.stdout


def test_chat_with_an_unknown_model_exits_5_and_lists_known_models(run_cli, project):
    result = run_cli("--project", project, "chat", "--model", "no-such-model", "-m", "hi")

    assert result.returncode == 5
    assert "no-such-model" in result.stderr
    assert "Known models: smollm2-135m" in result.stderr
    assert "Traceback" not in result.stderr
