"""Every command, option and setting is documented (as sqlite-utils and datasette test theirs).

The checks read the real Typer app and the real ``Settings`` model, so a new command, option or
key fails here until ``docs/`` mentions it — in the page for its command group (options) or in
``docs/config.md`` next to its ``TUNELOOP_*`` environment variable (settings).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from tuneloop.cli.main import app
from tuneloop.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"

# First word after `tuneloop` → the page documenting that command group. Root options (no
# command) and `init` live on project.md; a new group defaults to docs/<group>.md.
PAGES = {
    "": "project.md",
    "init": "project.md",
    "chat": "chat.md",
    "models": "models.md",
    "keys": "keys.md",
    "db": "db.md",
    "serve": "serve.md",
    "prompt": "prompts.md",
    "schema": "prompts.md",
    "data": "data.md",
    "index": "knowledge.md",
    "safety": "safety.md",
    "worker": "train.md",
    "eval": "eval.md",
    "train": "train.md",
}
SKIPPED_OPTIONS = {"--help", "--install-completion", "--show-completion"}
SKIPPED_SETTINGS = {"project_dir"}
ENV_PREFIX = "TUNELOOP_"
LINK = re.compile(r"\]\(([\w-]+\.md)(?:#[\w-]*)?\)")  # relative links between pages


def _read(page: str) -> str:
    path = DOCS / page
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _all_docs() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))


def _page_for(path: tuple[str, ...]) -> str:
    group = path[0] if path else ""
    return PAGES.get(group, f"{group}.md")


# Typer vendors its own copy of click, so commands and options are recognised by their attributes,
# not by isinstance checks against the click package.
def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group below ``command`` with its path of names, root first."""
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


def _long_options(command: Any) -> Iterator[tuple[str, str | None]]:
    """``(--option, envvar)`` for each long option name, ``--no-x`` flag halves included."""
    for param in command.params:
        if param.param_type_name != "option":
            continue
        envvar = param.envvar if isinstance(param.envvar, str) else None
        for name in (*param.opts, *param.secondary_opts):
            if name.startswith("--") and name not in SKIPPED_OPTIONS:
                yield name, envvar


def _mentions(text: str, token: str) -> bool:
    """``token`` appears whole in ``text``: ``--model`` is not found in ``--upstream-model``."""
    return re.search(rf"(?<![\w-]){re.escape(token)}(?![\w-])", text) is not None


def _settings_keys(
    model: type[BaseModel], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, str]]:
    """``(dotted key, TUNELOOP_ variable)`` for every leaf setting, nested tables recursed."""
    for name, field in model.model_fields.items():
        if not prefix and name in SKIPPED_SETTINGS:
            continue
        path = (*prefix, name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _settings_keys(annotation, path)
        else:
            yield ".".join(path), ENV_PREFIX + "__".join(p.upper() for p in path)


def _root() -> Any:
    return typer.main.get_command(app)


def test_the_app_has_the_commands_this_test_expects() -> None:
    """Guards the walk itself: if it found nothing, every other test would pass vacuously."""
    paths = {" ".join(path) for path, _ in _commands(_root())}
    assert {"init", "chat", "serve", "models add", "keys revoke", "db current"} <= paths


def test_every_command_is_documented() -> None:
    docs = _all_docs()
    missing = [
        f"`tuneloop {' '.join(path)}` is undocumented: mention it in docs/{_page_for(path)}"
        for path, _ in _commands(_root())
        if path and not _mentions(docs, f"tuneloop {' '.join(path)}")
    ]
    assert not missing, "\n".join(missing)


def test_every_option_is_documented_on_its_command_group_page() -> None:
    missing = []
    for path, command in _commands(_root()):
        page = _page_for(path)
        text = _read(page)
        where = f"`tuneloop {' '.join(path)}`" if path else "global"
        for option, envvar in _long_options(command):
            if not _mentions(text, option):
                missing.append(f"{where} option {option} is undocumented: add it to docs/{page}")
            if envvar and envvar not in text:
                missing.append(
                    f"{where} option {option} reads {envvar}: mention that in docs/{page}"
                )
    assert not missing, "\n".join(missing)


def test_every_setting_is_documented_with_its_environment_variable() -> None:
    lines = _read("config.md").splitlines()
    missing = [
        f"setting `{key}` is undocumented: add a line with `{key}` and {env} to docs/config.md"
        for key, env in _settings_keys(Settings)
        if not any(f"`{key}`" in line and env in line for line in lines)
    ]
    assert not missing, "\n".join(missing)


def test_settings_walk_reaches_nested_tables() -> None:
    keys = dict(_settings_keys(Settings))
    assert keys["server.port"] == "TUNELOOP_SERVER__PORT"
    assert keys["openai.api_key_env"] == "TUNELOOP_OPENAI__API_KEY_ENV"
    assert "project_dir" not in keys


def test_docs_link_only_to_pages_that_exist() -> None:
    broken = [
        f"docs/{page.name} links to {target}, which does not exist"
        for page in sorted(DOCS.glob("*.md"))
        for target in sorted(set(LINK.findall(page.read_text(encoding="utf-8"))))
        if not (DOCS / target).is_file()
    ]
    assert not broken, "\n".join(broken)


def test_every_hyperparameter_is_documented_with_its_default():
    from tuneloop.train.base import Hyperparameters

    page = _read("train.md")
    missing = [name for name in Hyperparameters.model_fields if f"| `{name}` |" not in page]
    assert not missing, f"hyperparameters missing from docs/train.md's table: {missing}"
    for name, field in Hyperparameters.model_fields.items():
        assert field.description, f"Hyperparameters.{name} has no description"
        default = field.default_factory() if field.default_factory else field.default
        if isinstance(default, (int, float, str)) and not isinstance(default, bool):
            row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
            assert f"| {default} |" in row, f"docs/train.md shows a stale default for {name}"
