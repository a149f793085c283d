"""Provider exit: move an OpenAI fine-tuning workflow onto tuneloop before OpenAI's deadlines.

OpenAI stops new fine-tuning jobs on 2027-01-06 and shuts GPT-4o/4o-mini/4.1/4.1-mini and every
fine-tune of them down on 2027-01-14 (its deprecations page; ``shared/DOMAIN.md``). What a team
must capture before then is its data, its settings and — above all — the *behaviour* of the
fine-tune, which only exists while the model answers. This package is the workflow that does it,
one module per step, each resumable and each usable alone (``tuneloop migrate openai …``):

- :mod:`.client` — the user's OpenAI (or any OpenAI-compatible) account: SDK client, retries with
  backoff on 429/5xx honouring ``Retry-After``, actionable errors on a bad key;
- :mod:`.inventory` — jobs and fine-tuned models with hyperparameters, metrics, checkpoints and
  each model's ``shutdown_date``;
- :mod:`.pull` — training/validation/result files → dataset versions (validated, PII-scanned,
  lineage ``openai:file-…``) and a *source model* version in the model registry; idempotent;
- :mod:`.record` — replay prompts against the old fine-tune into a *golden suite*; resumable;
- :mod:`.retrain` — the job's settings translated to a local training config, with reasons;
- :mod:`.parity` — the local model against the golden suite: agreement report and gate evidence;
  :mod:`.parity_report` holds its numbers and writes ``parity.json`` / ``parity.html``;
- :mod:`.switch` — the old ``ft:`` name served by tuneloop as a route to the local model;
- :mod:`.graders` — OpenAI Evals ``testing_criteria`` and ``openai/evals`` registry YAML → suites.

It is a workflow layer (``tests/test_codebase.py``): it calls components (data, train, evaluate,
registry) and the CLI only parses flags and prints.
"""
