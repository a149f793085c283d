"""The step-metrics CSV a succeeded job lists in ``result_files`` (OpenAI's shape)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from tuneloop.store.train_values import JobEvent
from tuneloop.train.result_file import COLUMNS, step_metrics_csv


def _event(n: int, data: dict, type: str = "metrics") -> JobEvent:
    return JobEvent(f"ev-{n}", "ftjob-x", datetime.now(UTC), "info", f"event {n}", type, data)


def test_rows_merge_train_and_validation_events_of_a_step_in_step_order():
    events = [
        _event(5, {"step": 2, "valid_loss": 1.25, "best_valid_loss": 1.25}),
        _event(4, {"step": 2, "train_loss": 1.5, "train_mean_token_accuracy": 0.6}),
        _event(3, {"step": 1, "train_loss": 2.0}),
        _event(2, {"step": 0, "valid_loss": 3.0}),  # the evaluation before training: no row
        _event(1, {"step": 1}, type="message"),
    ]
    rows = list(csv.reader(io.StringIO(step_metrics_csv(events).decode())))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1:] == [
        ["1", "2.00000", "", "", ""],
        ["2", "1.50000", "0.60000", "1.25000", ""],
    ]


def test_a_job_without_metrics_gets_a_header_only_csv():
    assert step_metrics_csv([_event(1, {"step": 1}, type="message")]).decode() == (
        ",".join(COLUMNS) + "\n"
    )
