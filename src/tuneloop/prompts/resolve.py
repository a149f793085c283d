"""Find a prompt by what a user types: a file path, a name in ``prompts/``, or ``name@ref``.

``name@production`` / ``name@3`` / ``name@latest`` come from the store's immutable versions; a
bare ``name`` prefers the working file ``prompts/<name>.yaml`` (what you are editing) and falls
back to the latest pushed version.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tuneloop.errors import NotFound, PromptError
from tuneloop.prompts.template import PromptFile, load_prompt, parse_prompt

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.registry import Store

__all__ = ["freeze", "prompts_dir", "resolve_prompt"]


def prompts_dir(settings: Settings) -> Path:
    return settings.project_dir / "prompts"


def resolve_prompt(ref: str, settings: Settings, store: Store | None) -> PromptFile:
    """The prompt ``ref`` names (see module docstring); errors say what was tried."""
    path = Path(ref).expanduser()
    if path.suffix in {".yaml", ".yml"} or path.is_file():
        return load_prompt(path)
    if "@" not in ref:
        for suffix in (".yaml", ".yml"):
            candidate = prompts_dir(settings) / f"{ref}{suffix}"
            if candidate.is_file():
                return load_prompt(candidate)
    if store is None:
        raise PromptError(f"No prompt file {ref!r}.", hint="Pass a path to a prompt YAML file.")
    try:
        version = store.prompts.get(ref)
    except NotFound as exc:
        raise NotFound(
            f"No prompt {ref!r}: not a file, not prompts/{ref.split('@')[0]}.yaml, and not a "
            f"pushed version ({exc.message})",
            hint=exc.hint or "Push it with `tuneloop prompt push FILE`.",
        ) from exc
    virtual = prompts_dir(settings) / f"{version.name}@v{version.version}.yaml"
    return parse_prompt(version.content, virtual)


def freeze(prompt: PromptFile) -> str:
    """The YAML to store as an immutable version.

    Context given as ``file:`` would let a "fixed" version change when the file changes, so such
    files are inlined as ``text:``. Prompts without context files are stored byte for byte (their
    comments and layout kept).
    """
    if not any(item.file for item in prompt.template.context):
        return prompt.source
    data: Any = yaml.safe_load(prompt.source)
    for i, item in enumerate(prompt.template.context):
        if item.file:
            file = (prompt.base_dir / item.file).resolve()
            try:
                text = file.read_text(encoding="utf-8")
            except (FileNotFoundError, UnicodeDecodeError) as exc:
                raise PromptError(
                    f"{prompt.where('context', i, 'file')}: cannot read {file} ({exc}).",
                    hint="Paths are relative to the prompt file; files must be UTF-8.",
                ) from exc
            data["context"][i] = {"name": item.name, "text": text}
    return yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=100)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks, so frozen prompts stay readable and diffable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str)
