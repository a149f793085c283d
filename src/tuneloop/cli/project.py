"""``tuneloop init``: create a project folder with ``tuneloop.toml`` and an initialised store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tuneloop.cli.context import out, print_json
from tuneloop.cli.options import JsonOption

PROJECT_FOLDERS = ("data", "prompts", "evals")


def init(
    directory: Annotated[Path, typer.Argument(help="Project folder (created if missing).")] = Path(
        "."
    ),
    name: Annotated[
        str | None, typer.Option(help="Project name; default: the folder's name.")
    ] = None,
    model: Annotated[str, typer.Option("--model", help="Default model.")] = "smollm2-135m",
    force: Annotated[bool, typer.Option(help="Overwrite an existing tuneloop.toml.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a project: tuneloop.toml, data/ prompts/ evals/ folders and the database."""
    from tuneloop.config import PROJECT_FILE, load_settings, write_project_file
    from tuneloop.errors import ConfigError
    from tuneloop.registry import Store
    from tuneloop.store.engine import masked_url

    folder = directory.expanduser().resolve()
    if (folder / PROJECT_FILE).exists() and not force:
        raise ConfigError(
            f"{folder / PROJECT_FILE} already exists.",
            hint="This folder is already a tuneloop project; pass --force to overwrite its file.",
        )
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder} exists and is not a folder.", hint="Choose another path.")
    folder.mkdir(parents=True, exist_ok=True)
    project_file = write_project_file(folder, name=name or folder.name, default_model=model)
    for sub in PROJECT_FOLDERS:
        (folder / sub).mkdir(exist_ok=True)
    settings = load_settings(folder)
    with Store.from_settings(settings) as store:
        store.projects.ensure(settings.name)
    if as_json:
        print_json(
            {
                "project_dir": str(folder),
                "project_file": str(project_file),
                "database_url": masked_url(settings.resolved_database_url),
                "artifact_dir": str(settings.resolved_artifact_dir),
            }
        )
        return
    out.print(f"[green]Created project[/] [bold]{settings.name}[/] in {folder}")
    out.print(f"  settings   {project_file}")
    out.print(f"  database   {masked_url(settings.resolved_database_url)}", markup=False)
    out.print(f"  artifacts  {settings.resolved_artifact_dir}")
    out.print(f'Next: cd {folder} && tuneloop chat -m "서울의 유명한 관광지 3곳을 추천해 주세요"')
