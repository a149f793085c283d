"""``tuneloop index build / search / list / show / alias``: versioned knowledge indexes.

The work is :mod:`tuneloop.knowledge.index`'s (building incrementally, opening a version as a
retriever); this module parses flags, calls it once and prints. Aliases use the verbs every
registry kind shares (:mod:`tuneloop.cli.aliases`).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from tuneloop.cli.aliases import alias_app, aliases_by_version
from tuneloop.cli.context import out, print_json, settings, store
from tuneloop.cli.options import JsonOption

if TYPE_CHECKING:
    from tuneloop.registry import IndexVersion
    from tuneloop.text.retrieval import Hit

__all__ = ["app", "build", "list_indexes", "search", "show"]

app = typer.Typer(
    help="Build, search and version knowledge indexes (passages of the project's documents).",
    no_args_is_help=True,
)
app.add_typer(alias_app("index", lambda: store().indexes), name="alias")

RefArg = Annotated[
    str, typer.Argument(help="Index version: NAME, NAME@3, NAME@latest or NAME@ALIAS.")
]


def version_dict(version: IndexVersion) -> dict[str, Any]:
    return {
        "ref": version.ref,
        "name": version.name,
        "version": version.version,
        "content_hash": version.content_hash,
        "parent": version.parent,
        "passages": version.passages,
        "documents": version.documents,
        "settings": version.settings,
        "changes": version.changes,
        "counts": version.counts,
        "author": version.author,
        "message": version.message,
        "created_at": version.created_at.isoformat(),
    }


def hit_dict(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {
        "rank": hit.rank + 1,
        "score": round(hit.score, 4),
        "id": p.id,
        "source": p.source,
        "line": p.line,
        "start": p.start,
        "end": p.end,
        "title": p.title,
        "text": p.text,
    }


@app.command()
def build(
    sources: Annotated[
        list[str],
        typer.Argument(help="Documents: folders (read recursively), files or glob patterns."),
    ],
    name: Annotated[str, typer.Option("--name", help="Index name, e.g. seoul-docs.")],
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            min=50,
            help="Longest passage in characters; default: [knowledge] passage_chars.",
        ),
    ] = None,
    overlap: Annotated[
        int | None,
        typer.Option(
            "--overlap",
            min=0,
            help="Characters neighbouring passages share; default: [knowledge] overlap_chars.",
        ),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="Retrieval method (bm25: BM25 over Kiwi morphemes).")
    ] = "bm25",
    message: Annotated[str, typer.Option("--message", "-m", help="What changed.")] = "",
    author: Annotated[str | None, typer.Option(help="Author; default: your user name.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Build documents into the next version of an index (unchanged documents: same version)."""
    from tuneloop.knowledge.index import build_index, resolve_sources

    knowledge = settings().knowledge
    result = build_index(
        store(),
        name,
        resolve_sources(sources, Path.cwd()),
        author=author or getpass.getuser(),
        passage_chars=chunk_size if chunk_size is not None else knowledge.passage_chars,
        overlap_chars=overlap if overlap is not None else knowledge.overlap_chars,
        method=method,
        message=message,
    )
    version = result.version
    if json_output:
        print_json(
            {
                **version_dict(version),
                "created": result.created,
                "chunked": result.chunked,
                "reused": result.reused,
                "skipped": result.skipped,
            }
        )
        return
    counts = version.counts
    if not result.created:
        out.print(
            f"Unchanged: already [bold]{version.ref}[/] ({counts['documents']} documents, "
            f"{counts['passages']} passages)."
        )
        return
    out.print(
        f"Built [bold]{version.ref}[/]: {counts['documents']} documents, {counts['passages']} "
        f"passages ({result.chunked} chunked, {result.reused} reused)"
        + (f", parent {version.parent}" if version.parent else "")
    )
    for kind in ("added", "changed", "removed"):
        labels = result.changes.get(kind, [])
        if labels and version.parent:
            out.print(f"  {kind}: {', '.join(labels)}", markup=False)
    for line in result.skipped:
        out.print(f"  skipped {line}", markup=False)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="The question or keywords to look up.")],
    index: Annotated[
        str | None,
        typer.Option("--index", help="Index reference; default: [knowledge] index."),
    ] = None,
    k: Annotated[int, typer.Option("-k", "--top", min=1, help="How many passages.")] = 5,
    json_output: JsonOption = False,
) -> None:
    """Show the passages an index finds for a query, with source file:line and score."""
    from tuneloop.knowledge.index import default_index, open_retriever

    ref = index or default_index(settings().knowledge.index)
    hits = open_retriever(store(), ref).search(query, k=k)
    if json_output:
        print_json({"index": store().indexes.get(ref).ref, "hits": [hit_dict(h) for h in hits]})
        return
    if not hits:
        out.print("No passage shares a term with the query.")
        return
    for hit in hits:
        text = " ".join(hit.passage.text.split())
        out.print(
            f"[{hit.rank + 1}] {hit.passage.where}  score {hit.score:.2f}  id {hit.passage.id}",
            markup=False,
            style="bold",
        )
        out.print("    " + (text if len(text) <= 240 else text[:239] + "…"), markup=False)


@app.command("list")
def list_indexes(
    name: Annotated[
        str | None, typer.Argument(help="Show every version of this index instead.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List indexes (newest version of each), or every version of one index."""
    registry = store().indexes
    versions = registry.versions(name) if name else registry.latest()
    by_version = aliases_by_version(registry)
    if json_output:
        print_json(
            [
                {**version_dict(v), "aliases": by_version.get((v.name, v.version), [])}
                for v in versions
            ]
        )
        return
    if not versions:
        out.print("No indexes yet: build one with `tuneloop index build docs/ --name NAME`.")
        return
    table = Table("index", "aliases", "documents", "passages", "method", "created", "message")
    for v in versions:
        table.add_row(
            v.ref,
            ", ".join(by_version.get((v.name, v.version), [])),
            str(v.counts.get("documents", "")),
            str(v.counts.get("passages", "")),
            str(v.settings.get("method", "")),
            v.created_at.strftime("%Y-%m-%d %H:%M"),
            v.message,
        )
    out.print(table)


@app.command()
def show(ref: RefArg, json_output: JsonOption = False) -> None:
    """Show an index version: settings, what changed from its parent, and every document."""
    version = store().indexes.get(ref)
    if json_output:
        print_json(version_dict(version))
        return
    s = version.settings
    out.print(
        f"[bold]{version.ref}[/] by {version.author} at {version.created_at:%Y-%m-%d %H:%M} — "
        f"{version.counts.get('passages')} passages, method {s.get('method')}, chunks of "
        f"{s.get('passage_chars')} chars (overlap {s.get('overlap_chars')})"
        + (f", parent {version.parent}" if version.parent else "")
    )
    if version.message:
        out.print(version.message, markup=False)
    for kind in ("added", "changed", "removed"):
        labels = version.changes.get(kind, [])
        if labels and version.parent:
            out.print(f"  {kind}: {', '.join(labels)}", markup=False)
    table = Table("document", "sha256", "passages")
    for label, doc in version.documents.items():
        table.add_row(label, str(doc["sha256"])[:12], str(doc["passages"]))
    out.print(table)
