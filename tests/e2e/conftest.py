"""The CLI fixtures (``invoke``, ``project``, an isolated ``TUNELOOP_HOME``) for the whole-loop
tests here, which drive ``tuneloop`` commands as a user would."""

from cli.conftest import invoke, isolated_env, project

__all__ = ["invoke", "isolated_env", "project"]
