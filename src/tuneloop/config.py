"""Project settings: ``tuneloop.toml`` plus ``TUNELOOP_*`` environment variables.

Why pydantic-settings: it gives typed settings, precedence (environment over file over defaults)
and nested environment keys (``TUNELOOP_SERVER__PORT``) without hand-written parsing. We parse the
TOML ourselves with :mod:`tomllib` first so a syntax error reports its line and column, and we turn
pydantic's validation errors into one :class:`~tuneloop.errors.ConfigError` that names the key, the
file and the environment variable to fix.

Where a project lives: ``--project DIR`` / ``TUNELOOP_PROJECT``, else the nearest ``tuneloop.toml``
at or above the current directory. Without a project file tuneloop still works (``tuneloop chat``
right after install): state then goes under ``TUNELOOP_HOME`` (default ``~/.tuneloop``).
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tuneloop.atomicfile import atomic_write_text
from tuneloop.errors import ConfigError

__all__ = [
    "PROJECT_FILE",
    "KnowledgeSettings",
    "OpenAISettings",
    "RegistrySettings",
    "ServerSettings",
    "Settings",
    "find_project_dir",
    "load_settings",
    "write_project_file",
]

PROJECT_FILE = "tuneloop.toml"
ENV_PREFIX = "TUNELOOP_"

_file_data: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("_file_data")


class ServerSettings(BaseModel):
    """How ``tuneloop serve`` listens."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        "127.0.0.1", description="Interface to bind; 0.0.0.0 exposes it to the network."
    )
    port: int = Field(8000, ge=1, le=65535, description="TCP port.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes (use PostgreSQL for >1).")


class OpenAISettings(BaseModel):
    """Defaults for the ``openai`` backend (OpenAI itself, vLLM, llama.cpp, Ollama, tuneloop)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        None, description="API base URL, e.g. http://127.0.0.1:8000/v1; None means OpenAI."
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="Name of the environment variable that holds the API key."
    )
    timeout: float = Field(120.0, gt=0, description="Seconds before one request times out.")
    max_retries: int = Field(3, ge=0, description="Retries with exponential backoff on 429/5xx.")


class KnowledgeSettings(BaseModel):
    """The project's documents: what the ``retrieve`` baseline (and later the knowledge index)
    searches. See docs/eval.md, "Trivial baselines"."""

    model_config = ConfigDict(extra="forbid")

    documents: list[str] = Field(
        default_factory=list,
        description="Folders, files or glob patterns of the project's documents, relative to the "
        'project folder (e.g. ["docs/"]); a suite\'s own `documents` wins.',
    )
    passage_chars: int = Field(
        500, ge=50, description="Longest passage, in characters, the documents are cut into."
    )
    overlap_chars: int = Field(
        100, ge=0, description="Characters neighbouring passages share (less than passage_chars)."
    )
    index: str | None = Field(
        None,
        description="The knowledge index `tuneloop index search` uses when --index is not given "
        '(e.g. "seoul-docs@production"; build one with `tuneloop index build`).',
    )


class RegistrySettings(BaseModel):
    """Rules for the versioned registry of prompts, datasets and models."""

    model_config = ConfigDict(extra="forbid")

    protected_aliases: list[str] = Field(
        default_factory=lambda: ["production"],
        description="Model aliases that move only with a stored, passing gate that compared the "
        "new version against the alias's current one (`tuneloop eval gate`), or with "
        "--force --reason. Prompt and dataset aliases are never gated.",
    )


class Settings(BaseSettings):
    """Everything a tuneloop command needs to know about the project it runs in."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    name: str = Field("tuneloop", min_length=1, description="Project name.")
    default_model: str = Field(
        "smollm2-135m", min_length=1, description="Model used when a command names none."
    )
    database_url: str = Field(
        "sqlite:///.tuneloop/tuneloop.db",
        description="SQLAlchemy URL; relative SQLite paths are relative to the project folder. "
        "PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    artifact_dir: Path = Field(
        Path(".tuneloop/artifacts"),
        description="Folder for content-addressed artifacts (relative to the project folder).",
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    knowledge: KnowledgeSettings = Field(default_factory=KnowledgeSettings)
    registry: RegistrySettings = Field(default_factory=RegistrySettings)

    # Not a setting: where the project file was found (or TUNELOOP_HOME without one).
    project_dir: Path = Field(Path("."), exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ProjectFileSource(settings_cls))

    @property
    def resolved_database_url(self) -> str:
        """``database_url`` with a relative SQLite path made absolute against the project."""
        prefix = "sqlite:///"
        url = self.database_url
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rel = url[len(prefix) :]
            if rel and rel != ":memory:":
                return prefix + str((self.project_dir / rel).resolve())
        return url

    @property
    def resolved_artifact_dir(self) -> Path:
        return (
            self.artifact_dir
            if self.artifact_dir.is_absolute()
            else self.project_dir / self.artifact_dir
        )

    @property
    def project_file(self) -> Path:
        return self.project_dir / PROJECT_FILE


class _ProjectFileSource(PydanticBaseSettingsSource):
    """Feeds the already-parsed project file to pydantic-settings, below the environment."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return _file_data.get({}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_file_data.get({}))


def tuneloop_home() -> Path:
    return Path(os.environ.get("TUNELOOP_HOME", Path.home() / ".tuneloop")).expanduser()


def find_project_dir(start: Path | None = None) -> Path | None:
    """The folder holding ``tuneloop.toml``: ``TUNELOOP_PROJECT``, else search upward."""
    env = os.environ.get("TUNELOOP_PROJECT")
    if env:
        return Path(env).expanduser().resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return None


def _read_project_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(
            f"No project file at {path}.",
            hint="Run `tuneloop init` there, or point --project / TUNELOOP_PROJECT at a project.",
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text.", hint="Save it as UTF-8.") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML — {exc}.",
            hint="Fix the syntax at that line and column (strings need quotes, tables [brackets]).",
        ) from exc


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(str(p).upper() for p in loc)


def _table_keys(loc: tuple[int | str, ...]) -> tuple[str, str]:
    """(" in [table]", "a, b, c") for the settings table at ``loc`` (top level when empty)."""
    model: type[BaseModel] = Settings
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    fields = sorted(k for k in model.model_fields if k != "project_dir")
    return (f" in [{'.'.join(map(str, loc))}]" if loc else "", ", ".join(fields))


def load_settings(project: str | Path | None = None, **overrides: Any) -> Settings:
    """Load settings for ``project`` (a folder or a ``tuneloop.toml``), or the discovered one.

    Raises :class:`ConfigError` naming the key, the file and the environment variable when a value
    is wrong or unknown.
    """
    if project is not None:
        project_path = Path(project).expanduser().resolve()
        if project_path.name == PROJECT_FILE:
            project_path = project_path.parent
        if not (project_path / PROJECT_FILE).is_file():
            raise ConfigError(
                f"No {PROJECT_FILE} in {project_path}.",
                hint=f"Run `tuneloop init {project_path}` first, or pass the right --project.",
            )
        project_dir: Path | None = project_path
    else:
        project_dir = find_project_dir()
    if project_dir:
        data = _read_project_file(project_dir / PROJECT_FILE)
        where = str(project_dir / PROJECT_FILE)
    else:
        # No project: TUNELOOP_HOME itself plays the role of a project's .tuneloop/ folder.
        data = {"database_url": "sqlite:///tuneloop.db", "artifact_dir": "artifacts"}
        where = ""
    token = _file_data.set(data)
    try:
        settings = Settings(project_dir=project_dir or tuneloop_home(), **overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            fix_in = f"{where} or {_env_name(err['loc'])}" if where else _env_name(err["loc"])
            if err["type"] == "extra_forbidden":
                table, known = _table_keys(err["loc"][:-1])
                problems.append(
                    f"unknown key '{key}' — remove it from {fix_in} (known keys{table}: {known})"
                )
            else:
                problems.append(
                    f"'{key}': {err['msg']} (got {err.get('input')!r}) — fix it in {fix_in}"
                )
        raise ConfigError(
            "Invalid tuneloop settings: " + "; ".join(problems) + ".",
            hint="Correct or remove those keys; `docs/config.md` lists every key.",
        ) from exc
    finally:
        _file_data.reset(token)
    return settings


def write_project_file(folder: Path, *, name: str, default_model: str) -> Path:
    """Write a fresh ``tuneloop.toml`` with every core key spelled out, atomically."""
    doc = {
        "name": name,
        "default_model": default_model,
        "database_url": "sqlite:///.tuneloop/tuneloop.db",
        "artifact_dir": ".tuneloop/artifacts",
        "server": {"host": "127.0.0.1", "port": 8000},
    }
    header = (
        "# tuneloop project file. Every key can be overridden by an environment variable:\n"
        "# TUNELOOP_<KEY>, nested keys with '__' (TUNELOOP_SERVER__PORT). See docs/config.md.\n"
    )
    return atomic_write_text(folder / PROJECT_FILE, header + tomli_w.dumps(doc))
