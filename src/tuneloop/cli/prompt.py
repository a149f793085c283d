"""``tuneloop prompt``: lint, render, run, version and A/B-compare prompt templates."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.aliases import alias_app
from tuneloop.cli.context import catalog, err, out, print_json, settings, store
from tuneloop.cli.options import JsonOption, ModelOption
from tuneloop.cli.sources import print_sources

if TYPE_CHECKING:
    from tuneloop.models.base import ChatModel
    from tuneloop.models.identity import ResolvedModel
    from tuneloop.prompts.runner import CaseResult
    from tuneloop.prompts.template import PromptFile

app = typer.Typer(
    help="Write, check, run, version and compare prompt templates.", no_args_is_help=True
)
app.add_typer(alias_app("prompt", lambda: store().prompts), name="alias")

RefArg = Annotated[
    str, typer.Argument(help="Prompt file, name in prompts/, or NAME@VERSION / NAME@ALIAS.")
]
VarOption = Annotated[
    list[str] | None, typer.Option("--var", help="Template variable KEY=VALUE (repeatable).")
]
TemperatureOption = Annotated[
    float | None, typer.Option(min=0, max=2, help="Override the prompt's temperature.")
]
MaxTokensOption = Annotated[
    int | None, typer.Option(min=1, help="Override the prompt's max_tokens.")
]
SeedOption = Annotated[int | None, typer.Option(help="Random seed for reproducible sampling.")]
ConcurrencyOption = Annotated[
    int, typer.Option(min=1, max=256, help="Requests in flight at once (batch mode).")
]


def parse_vars(pairs: list[str] | None) -> dict[str, str]:
    """``--var KEY=VALUE`` options as a dict (``prompt render/run`` and ``chat --prompt``)."""
    from tuneloop.errors import InvalidRequest

    values: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidRequest(
                f"--var {pair!r} is not KEY=VALUE.", hint="Write it as --var topic=관광지."
            )
        values[key.strip()] = value
    return values


def _resolve(ref: str) -> PromptFile:
    from tuneloop.prompts.resolve import resolve_prompt

    return resolve_prompt(ref, settings(), store())


def _model_for(prompt: PromptFile, model: str | None) -> tuple[ChatModel, ResolvedModel]:
    """The model resolved once, up front (an alias moving mid-batch changes nothing), with the
    identity stored runs record."""
    name = model or prompt.template.model or settings().default_model
    with err.status(f"Loading {name}…"):
        resolved = catalog().resolve(name)
        return catalog().load(resolved), resolved


@app.command("lint")
def lint(
    files: Annotated[list[Path], typer.Argument(help="Prompt YAML files.")],
    model: ModelOption = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only run these rule ids (repeatable).")
    ] = None,
    disable: Annotated[
        list[str] | None, typer.Option("--disable", help="Skip these rule ids (repeatable).")
    ] = None,
    context_window: Annotated[
        int | None,
        typer.Option(
            min=1, help="Check length against this many tokens (estimated unless --model)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check prompts for vague requests, contradictions, bad examples, PII and more.

    Exit code 1 when any error-level issue is found (for CI).
    """
    from tuneloop.prompts.lint import has_errors, lint_prompt
    from tuneloop.prompts.template import load_prompt

    chat_model = catalog().get(model) if model else None
    report: list[dict[str, Any]] = []
    failed = False
    for file in files:
        issues = lint_prompt(
            load_prompt(file),
            model=chat_model,
            rules=rule,
            disable=disable or (),
            context_window=context_window,
        )
        failed = failed or has_errors(issues)
        report.append({"file": str(file), "issues": [i.as_dict() for i in issues]})
        if not as_json:
            _print_issues(file, issues)
    if as_json:
        print_json(report)
    if failed:
        raise typer.Exit(1)


def _print_issues(file: Path, issues: list[Any]) -> None:
    if not issues:
        out.print(f"[green]✓[/] {file}: no issues")
        return
    colors = {"error": "red", "warning": "yellow", "info": "blue"}
    for issue in issues:
        severity = str(getattr(issue.severity, "value", issue.severity))
        color = colors.get(severity, "white")
        out.print(f"{issue.location}: [{color}]{severity}[/] [bold]{issue.rule}[/] ", end="")
        out.print(issue.message, markup=False)
        if issue.fix:
            out.print("    fix: ", end="", style="dim")
            out.print(issue.fix, markup=False, style="dim")


@app.command("render")
def render_cmd(ref: RefArg, var: VarOption = None, as_json: JsonOption = False) -> None:
    """Show the chat messages a prompt renders to (few-shot selection included)."""
    from tuneloop.knowledge.resolve import index_resolver
    from tuneloop.prompts.render import render
    from tuneloop.prompts.runner import examples_for
    from tuneloop.text.retrieval import source_dicts

    prompt = _resolve(ref)
    from tuneloop.prompts.render import resolve_variables

    values = resolve_variables(prompt, parse_vars(var))
    indexes = index_resolver(prompt.base_dir, store)
    rendered = render(prompt, values, examples=examples_for(prompt, values), indexes=indexes)
    if as_json:
        print_json(
            {
                "messages": rendered.as_dicts(),
                "variables": rendered.variables,
                "sources": source_dicts(rendered.sources),
            }
        )
        return
    for message in rendered.messages:
        out.print(f"[bold cyan]{message.role}[/]")
        out.print(message.content, markup=False)
        out.print()


@app.command("run")
def run(
    ref: RefArg,
    var: VarOption = None,
    vars_file: Annotated[
        Path | None, typer.Option("--vars", help="JSONL file: one object of variables per line.")
    ] = None,
    model: ModelOption = None,
    temperature: TemperatureOption = None,
    max_tokens: MaxTokensOption = None,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = 4,
    save: Annotated[bool, typer.Option(help="Store the run and its results.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Render a prompt and call a model: once with --var, or over a --vars JSONL batch."""
    from tuneloop.prompts.cases import Case, load_cases
    from tuneloop.prompts.runner import merge_params

    prompt = _resolve(ref)
    cases = load_cases(vars_file) if vars_file else [Case(0, parse_vars(var), "command line")]
    if vars_file and var:
        fixed = parse_vars(var)
        cases = [Case(c.index, {**c.variables, **fixed}, c.source, c.tags) for c in cases]
    chat_model, resolved = _model_for(prompt, model)
    params = merge_params(
        prompt.template.params,
        {"temperature": temperature, "max_tokens": max_tokens, "seed": seed},
    )
    results = _run_with_progress(prompt, chat_model, cases, params, concurrency)
    run_id = _save_run(ref, prompt, resolved, params, results) if save else None
    if as_json:
        print_json(
            {
                "run_id": run_id,
                "prompt": ref,
                "model": chat_model.name,
                "model_version": resolved.version_ref,
                "model_hash": resolved.content_hash,
                "results": [_result_dict(r) for r in results],
            }
        )
    elif len(results) == 1 and results[0].ok:
        out.print(results[0].output or "", markup=False)
        print_sources(results[0].sources)
    else:
        _print_results(results)
    errors = sum(1 for r in results if not r.ok)
    if run_id and not as_json:
        err.print(f"[dim]Saved run {run_id} ({len(results)} cases, {errors} errors).[/]")
    if errors:
        for r in results:
            if r.error and len(results) == 1:
                err.print(r.error, markup=False)
        raise typer.Exit(1)


def _run_with_progress(
    prompt: PromptFile, model: ChatModel, cases: list[Any], params: Any, concurrency: int
) -> list[CaseResult]:
    from tuneloop.cli.progress import stage_progress
    from tuneloop.knowledge import index_resolver
    from tuneloop.prompts.runner import run_cases

    indexes = index_resolver(prompt.base_dir, store)
    if len(cases) == 1:
        return run_cases(prompt, model, cases, params, concurrency=1, indexes=indexes)
    import threading

    label = f"{prompt.name} → {model.name}"
    done = 0
    lock = threading.Lock()  # on_done is called from the worker threads
    with stage_progress() as update:
        update(label, 0, len(cases))

        def advance(_: CaseResult) -> None:
            nonlocal done
            with lock:
                done += 1
                update(label, done, len(cases))

        return run_cases(
            prompt,
            model,
            cases,
            params,
            concurrency=concurrency,
            on_done=advance,
            indexes=indexes,
        )


def _result_dict(r: CaseResult) -> dict[str, Any]:
    return {
        "index": r.index,
        "variables": r.variables,
        "output": r.output,
        "finish_reason": r.finish_reason,
        "usage": {"prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens},
        "latency_ms": round(r.latency_ms, 1),
        "error": r.error,
        "sources": r.sources,
    }


def _print_results(results: list[CaseResult]) -> None:
    table = Table("#", "variables", "output", "tokens", "ms", show_lines=True)
    for r in results:
        variables = ", ".join(f"{k}={v}" for k, v in r.variables.items())
        text = r.output if r.ok else f"[red]{r.error}[/]"
        table.add_row(
            str(r.index + 1), variables, text or "", str(r.completion_tokens), f"{r.latency_ms:.0f}"
        )
    out.print(table)


def _save_run(
    ref: str, prompt: PromptFile, model: ResolvedModel, params: Any, results: list[CaseResult]
) -> str:
    import dataclasses

    from tuneloop.safety.storage import redact_for_storage

    # Personal information never reaches the store: variables, messages and outputs are redacted.
    stored = [
        dataclasses.replace(
            r,
            variables=redact_for_storage(r.variables),
            messages=redact_for_storage(r.messages),
            output=redact_for_storage(r.output),
            error=redact_for_storage(r.error),
            sources=redact_for_storage(r.sources),
        )
        for r in results
    ]
    version = _version_of(prompt)
    return store().prompt_runs.save(
        prompt_ref=ref,
        prompt_name=prompt.name,
        prompt_version=version,
        prompt_hash=prompt.content_hash,
        model=model.requested,
        model_version=model.version_ref,
        model_hash=model.content_hash,
        params=_params_dict(params),
        results=stored,
    )


def _version_of(prompt: PromptFile) -> int | None:
    """The pushed version with this exact content, if any (so runs link to versions)."""
    from tuneloop.prompts.resolve import freeze
    from tuneloop.registry.prompts import content_hash

    return store().prompts.find_by_hash(prompt.name, content_hash(freeze(prompt)))


def _params_dict(params: Any) -> dict[str, Any]:
    return {
        "temperature": params.temperature,
        "top_p": params.top_p,
        "max_tokens": params.max_tokens,
        "stop": list(params.stop),
        "seed": params.seed,
    }


@app.command("push")
def push(
    file: Annotated[Path, typer.Argument(help="Prompt YAML file to store as a new version.")],
    message: Annotated[str, typer.Option("--message", "-m", help="What changed and why.")] = "",
    author: Annotated[str | None, typer.Option(help="Author; default: your user name.")] = None,
    alias: Annotated[
        list[str] | None,
        typer.Option("--alias", help="Also point this alias (e.g. staging) at the version."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Store the prompt as an immutable version (context files are inlined)."""
    from tuneloop.prompts.lint import has_errors, lint_prompt
    from tuneloop.prompts.resolve import freeze
    from tuneloop.prompts.template import load_prompt

    prompt = load_prompt(file)
    if has_errors(lint_prompt(prompt)):
        err.print(
            f"[yellow]{file} has lint errors[/] (`tuneloop prompt lint {file}`); pushing anyway."
        )
    who = author or getpass.getuser()
    version, created = store().prompts.push(
        prompt.name, freeze(prompt), author=who, message=message
    )
    for name in alias or []:
        store().prompts.set_alias(version.name, name, version.version, by=who)
    if as_json:
        print_json(
            {
                "name": version.name,
                "version": version.version,
                "content_hash": version.content_hash,
                "created": created,
                "aliases": alias or [],
            }
        )
        return
    state = "new version" if created else "unchanged: same content as"
    out.print(f"{version.name}@{version.version} ({state} v{version.version})", markup=False)
    for name in alias or []:
        out.print(f"  alias {name} → v{version.version}")


@app.command("list")
def list_prompts(as_json: JsonOption = False) -> None:
    """Pushed prompts with their latest version and aliases."""
    summaries = store().prompts.summaries()
    if as_json:
        print_json(
            [
                {"name": s.name, "latest": s.latest_version, "aliases": dict(s.aliases)}
                for s in summaries
            ]
        )
        return
    table = Table("name", "latest", "aliases")
    for s in summaries:
        aliases = ", ".join(f"{k}→v{v}" for k, v in sorted(s.aliases.items()))
        table.add_row(s.name, f"v{s.latest_version}", aliases)
    out.print(table)


@app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@VERSION or NAME@ALIAS.")],
    as_json: JsonOption = False,
) -> None:
    """Print a stored version's YAML and its metadata."""
    version = store().prompts.get(ref)
    aliases = [k for k, v in store().prompts.aliases(version.name).items() if v == version.version]
    if as_json:
        print_json(
            {
                "name": version.name,
                "version": version.version,
                "content_hash": version.content_hash,
                "author": version.author,
                "message": version.message,
                "created_at": version.created_at.isoformat(),
                "aliases": aliases,
                "content": version.content,
            }
        )
        return
    err.print(
        f"[bold]{version.name}@{version.version}[/] by {version.author} "
        f"{version.created_at:%Y-%m-%d %H:%M} "
        + (f"aliases: {', '.join(aliases)}" if aliases else "")
    )
    if version.message:
        err.print(f"[dim]{version.message}[/]", markup=True)
    out.print(version.content, markup=False, end="")


@app.command("history")
def history(
    name: Annotated[str, typer.Argument(help="Prompt name.")], as_json: JsonOption = False
) -> None:
    """Every version of a prompt, newest first, and its alias moves."""
    versions = store().prompts.versions(name)
    events = store().prompts.alias_history(name)
    if as_json:
        print_json(
            {
                "versions": [
                    {
                        "version": v.version,
                        "author": v.author,
                        "message": v.message,
                        "created_at": v.created_at.isoformat(),
                        "content_hash": v.content_hash,
                    }
                    for v in versions
                ],
                "alias_events": [e.as_dict() for e in events],
            }
        )
        return
    table = Table("version", "created", "author", "message", "sha256")
    for v in sorted(versions, key=lambda v: -v.version):
        table.add_row(
            f"v{v.version}",
            f"{v.created_at:%Y-%m-%d %H:%M}",
            v.author,
            v.message,
            v.content_hash[:12],
        )
    out.print(table)
    for e in events:
        before = f"v{e.from_version} " if e.from_version else ""
        moved = f"{before}→ v{e.to_version}" if e.to_version else f"{before}→ removed"
        why = f" ({e.reason})" if e.reason else ""
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.alias}: {moved} by {e.by}{why}", markup=False)


@app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="First version, e.g. seoul-guide@1.")],
    b: Annotated[str, typer.Argument(help="Second version, e.g. seoul-guide@production.")],
) -> None:
    """Unified diff between two stored versions."""
    text = store().prompts.diff(a, b)
    if not text:
        err.print("No differences.")
        return
    for line in text.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else None
        out.print(line, style=style, markup=False)


@app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="Prompt A: file, name or NAME@REF.")],
    b: Annotated[str, typer.Argument(help="Prompt B: file, name or NAME@REF.")],
    cases: Annotated[Path, typer.Option("--cases", help="JSONL of variables, one case per line.")],
    model: ModelOption = None,
    temperature: TemperatureOption = None,
    max_tokens: MaxTokensOption = None,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = 4,
    html: Annotated[
        Path | None, typer.Option(help="Also write a side-by-side HTML page here.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Run two prompt versions on the same inputs and show the answers side by side."""
    from tuneloop.atomicfile import atomic_write_text
    from tuneloop.prompts.cases import Case, load_cases
    from tuneloop.prompts.compare import Side, html_report, summary
    from tuneloop.prompts.runner import merge_params

    loaded = load_cases(cases)
    prompt_a, prompt_b = _resolve(a), _resolve(b)
    chat_model, resolved = _model_for(prompt_a, model)
    overrides = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
    sides = []
    for label, ref, prompt in (("A", a, prompt_a), ("B", b, prompt_b)):
        params = merge_params(prompt.template.params, overrides)
        # Each side gets the variables it declares: comparing a draft without variables against
        # a templated version is the common case, not an error.
        declared = prompt.template.variables
        own = [
            Case(c.index, {k: v for k, v in c.variables.items() if k in declared}, c.source, c.tags)
            for c in loaded
        ]
        results = _run_with_progress(prompt, chat_model, own, params, concurrency)
        run_id = _save_run(ref, prompt, resolved, params, results)
        sides.append(Side(label, ref, prompt.content_hash, results, run_id))
    side_a, side_b = sides
    params_shown = {k: v for k, v in overrides.items() if v is not None}
    if html is not None:
        atomic_write_text(
            html,
            html_report(
                side_a,
                side_b,
                model=chat_model.name,
                params=params_shown,
                inputs={c.index: c.variables for c in loaded},
            ),
        )
    if as_json:
        print_json(
            {
                "model": chat_model.name,
                "a": {"ref": a, "run_id": side_a.run_id, "summary": summary(side_a.results)},
                "b": {"ref": b, "run_id": side_b.run_id, "summary": summary(side_b.results)},
                "cases": [
                    {"variables": c.variables, "a": _result_dict(ra), "b": _result_dict(rb)}
                    for c, ra, rb in zip(loaded, side_a.results, side_b.results, strict=True)
                ],
                "html": str(html) if html else None,
            }
        )
        return
    table = Table("#", "input", f"A: {a}", f"B: {b}", show_lines=True)
    for c, ra, rb in zip(loaded, side_a.results, side_b.results, strict=True):
        table.add_row(
            str(ra.index + 1),
            ", ".join(f"{k}={v}" for k, v in c.variables.items()),
            ra.output if ra.ok else f"[red]{ra.error}[/]",
            rb.output if rb.ok else f"[red]{rb.error}[/]",
        )
    out.print(table)
    err.print(f"[dim]Runs saved: A={side_a.run_id} B={side_b.run_id}.[/]")
    if html is not None:
        err.print(f"Side-by-side page: {html}")


@app.command("runs")
def runs(
    name: Annotated[str | None, typer.Argument(help="Only runs of this prompt.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many recent runs.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Recent prompt runs stored in the project."""
    records = store().prompt_runs.list(prompt_name=name, limit=limit)
    if as_json:
        print_json([r.as_dict() for r in records])
        return
    table = Table("run", "created", "prompt", "model", "cases", "errors")
    table.columns[0].no_wrap = True
    for r in records:
        version = f"@{r.prompt_version}" if r.prompt_version else ""
        table.add_row(
            r.id,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            r.prompt_name + version,
            r.model,
            str(r.n_cases),
            str(r.n_errors),
        )
    out.print(table)
