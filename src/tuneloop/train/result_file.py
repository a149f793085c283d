"""A finished job's step-metrics CSV, as OpenAI attaches one to every succeeded job.

Why: OpenAI's job object lists ``result_files`` — a file of purpose ``fine-tune-results`` whose
content is a CSV with one row per training step, header
``step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy`` (validation cells empty
on steps without an evaluation). Code written against OpenAI downloads it with
``client.files.content(job.result_files[0])`` to plot the loss; tuneloop's server serves the
same file for its own jobs, so that code — and ``tuneloop migrate openai pull``, tested against
this server — keeps working.

The rows come from the job's metrics events (the ones the trainer logs while it trains), merged
by step. The file is stored like an upload (:mod:`tuneloop.store.files`); its id is kept in the
job's ``metrics`` under :data:`RESULT_FILES_KEY` — what the finished job reports — so no new
column is needed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tuneloop.registry import Store
    from tuneloop.store.train_values import JobEvent, TrainJob

__all__ = [
    "COLUMNS",
    "RESULT_FILES_KEY",
    "RESULT_PURPOSE",
    "result_files",
    "step_metrics_csv",
    "store_result_file",
]

RESULT_PURPOSE = "fine-tune-results"
RESULT_FILES_KEY = "result_files"
COLUMNS = ("step", "train_loss", "train_accuracy", "valid_loss", "valid_mean_token_accuracy")
# Where each column's value is found in an event's data, first key present wins.
_SOURCES: dict[str, tuple[str, ...]] = {
    "train_loss": ("train_loss",),
    "train_accuracy": ("train_accuracy", "train_mean_token_accuracy"),
    "valid_loss": ("valid_loss",),
    "valid_mean_token_accuracy": ("valid_mean_token_accuracy", "valid_accuracy"),
}
_PAGE = 1000


def step_metrics_csv(events: Iterable[JobEvent]) -> bytes:
    """The CSV for ``events`` (any order): one row per step that has a metric, by step."""
    rows: dict[int, dict[str, Any]] = {}
    for event in events:
        data: Mapping[str, Any] = event.data
        if event.type != "metrics" or data.get("step") is None:
            continue
        row = rows.setdefault(int(data["step"]), {})
        for column, keys in _SOURCES.items():
            for key in keys:
                if data.get(key) is not None:
                    row[column] = float(data[key])
                    break
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for step in sorted(s for s, row in rows.items() if row and s > 0):
        row = rows[step]
        writer.writerow([step, *(_cell(row.get(c)) for c in COLUMNS[1:])])
    return out.getvalue().encode("utf-8")


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.5f}"


def _events(store: Store, job_id: str) -> list[JobEvent]:
    found: list[JobEvent] = []
    after: str | None = None
    while True:
        page, more = store.train_jobs.events(job_id, after=after, limit=_PAGE)
        found.extend(page)
        if not more or not page:
            return found
        after = page[-1].id


def store_result_file(store: Store, job: TrainJob) -> str:
    """Write ``job``'s step-metrics CSV as a ``fine-tune-results`` file; return its id."""
    data = step_metrics_csv(_events(store, job.id))
    return store.files.create("step_metrics.csv", RESULT_PURPOSE, data).id


def result_files(job: TrainJob) -> list[str]:
    """The ids of ``job``'s result files (empty until it succeeded)."""
    return [str(f) for f in job.metrics.get(RESULT_FILES_KEY) or ()]
