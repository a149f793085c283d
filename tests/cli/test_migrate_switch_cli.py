"""``tuneloop migrate openai switch``: routes the old ft: id, prints the one-line change, and
--check asks a running server through the openai SDK the way the application will."""

from __future__ import annotations

import json

from fixtures.server import create_key, run_server
from migrate.sources import FT_ID, NAME, parrot_backend, register_local, seed_source
from tuneloop.config import load_settings
from tuneloop.errors import AuthError
from tuneloop.registry import Store
from tuneloop.serve.app import create_app


def test_switch_prints_the_one_line_change_and_check_calls_the_server(invoke, project, monkeypatch):
    settings = load_settings(project)
    with parrot_backend(), Store.from_settings(settings) as store:
        seed_source(store, project)
        local = register_local(store, default="화요일에 쉽니다.")
        store.models.promote(local.ref, "production", by="t", force=True, reason="parity passed")
        with run_server(create_app(settings, store=store)) as url:
            printed = invoke(
                "--project", project, "migrate", "openai", "switch", NAME, "--server-url", url
            )
            assert printed.exit_code == 0, printed.output
            assert f'client = OpenAI(base_url="{url}/v1", api_key=os.environ[' in printed.output
            assert "--check" in printed.output

            missing = invoke(
                "--project", project, "migrate", "openai", "switch", NAME,
                "--server-url", url, "--check", "--key-env", "NO_SUCH_KEY",
            )  # fmt: skip
            assert isinstance(missing.exception, AuthError)

            monkeypatch.setenv("APP_KEY", create_key(store, "chat"))
            checked = invoke(
                "--project", project, "migrate", "openai", "switch", FT_ID,
                "--server-url", url, "--check", "--key-env", "APP_KEY", "--json",
            )  # fmt: skip
    assert checked.exit_code == 0, checked.output
    data = json.loads(checked.output)
    assert data["route"] == {"name": FT_ID, "target": f"{NAME}@production", "changed": False}
    assert data["check"]["answer"] == "화요일에 쉽니다." and data["check"]["listed"] is True
    assert 'os.environ["APP_KEY"]' in data["line"]
