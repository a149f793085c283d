"""`tuneloop eval calibrate METRIC`: figures, JSON, and failure for uncalibrated metrics."""

from __future__ import annotations

import json


def test_the_calibrate_command_prints_figures_and_fails_for_unknown_metrics(invoke):
    result = invoke("eval", "calibrate", "asks_back")
    assert result.exit_code == 0
    assert "Cohen's κ" in result.stdout and "accuracy" in result.stdout
    data = json.loads(invoke("eval", "calibrate", "refusal", "--json").stdout)
    assert data["items"] >= 40 and set(data["confusion"]) == {
        "true_positive",
        "false_positive",
        "false_negative",
        "true_negative",
    }
    relaxed = json.loads(
        invoke("eval", "calibrate", "answer_relevance", "--threshold", "0", "--json").stdout
    )
    # at threshold 0 every answer is "good": agreement is only chance, κ = 0
    assert relaxed["threshold"] == 0.0 and relaxed["kappa"] == 0.0
    assert invoke("eval", "calibrate", "token_f1").exit_code != 0  # no calibration set
    assert invoke("eval", "calibrate", "no_such_metric").exit_code != 0
