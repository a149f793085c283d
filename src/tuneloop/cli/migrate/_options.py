"""The options every ``tuneloop migrate openai`` command that talks to the old account shares,
defined once (as :mod:`tuneloop.cli.options` does for ``--json``), and the one call that turns
them into an :class:`~tuneloop.migrate.client.Account`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from tuneloop.migrate.client import Account

__all__ = [
    "BaseUrlOption",
    "KeyEnvOption",
    "OpenAIProjectOption",
    "OrganizationOption",
    "account",
]

BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The account's API base URL (default: OPENAI_BASE_URL, else "
        "https://api.openai.com/v1); any OpenAI-compatible server works.",
    ),
]
KeyEnvOption = Annotated[
    str,
    typer.Option(
        "--key-env",
        help="Environment variable holding the account's API key (the key is never stored).",
    ),
]
OrganizationOption = Annotated[
    str | None, typer.Option("--organization", help="OpenAI organization id (org-…).")
]
OpenAIProjectOption = Annotated[
    str | None,
    typer.Option("--project", help="OpenAI project id (proj_…) the fine-tunes belong to."),
]


def account(
    base_url: str | None, key_env: str, organization: str | None, project: str | None
) -> Account:
    """The account these options name (:func:`tuneloop.migrate.client.connect`)."""
    from tuneloop.migrate.client import connect

    return connect(base_url=base_url, key_env=key_env, organization=organization, project=project)
