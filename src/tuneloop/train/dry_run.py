"""What a training run would cost before it runs (``tuneloop train run --dry-run``).

Why: a run on a CPU takes minutes to hours and one on OpenAI costs money, so the user should see
both numbers before committing. The data is resolved and validated exactly as for a real job
(:func:`tuneloop.train.jobs.resolve_training_data`), so a dry run also catches every data error.

Three numbers, each from the component that owns it:

* tokens and time here — for ``local-lora``, the engine's own
  :func:`tuneloop.train.sft_trainer.estimate` (the base model's real tokenizer, packing, steps,
  padding waste, and a tokens/second figure measured by ``bench/train_throughput.py``);
* billed tokens and price on OpenAI — the data stage's cookbook estimate
  (:func:`tuneloop.data.tokenstats.estimate_cost` over :mod:`tuneloop.data.validate`'s token
  counts, with its dated price table), for every priced model so a local user can compare, or for
  the base model alone when the trainer is ``openai`` and the model is priced. The counts are
  exact: the base model's own OpenAI encoding, or o200k_base (which every priced model uses) for
  a local trainer; only when the encoding files are missing do they fall back to the labelled
  estimate, and ``openai_token_counter`` says which (``o200k_base`` … or ``estimate``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from tuneloop.train.config import TrainConfig, resolve_data

if TYPE_CHECKING:
    from tuneloop.registry import Store

__all__ = ["OpenAICost", "RunEstimate", "estimate_run"]

LOCAL_TRAINER = "local-lora"
OPENAI_TOKEN_LIMIT = 65536


@dataclass(frozen=True)
class OpenAICost:
    """The estimated price of training the same data on one OpenAI model."""

    model: str
    price_per_million: float
    billed_tokens: int
    cost_usd: float


@dataclass
class RunEstimate:
    """The size of a run. ``seconds`` is None where the time is not ours to know (a remote
    trainer's queue and hardware)."""

    trainer: str
    base_model: str
    training_data: str
    validation_data: str | None
    examples: int
    validation_examples: int | None
    n_epochs: int
    tokens_per_epoch: int
    tokens_exact: bool
    trained_tokens: int
    steps: int | None = None
    padding_waste: float | None = None
    dropped_examples: int = 0
    seconds: float | None = None
    basis: str | None = None
    openai_costs: list[OpenAICost] = field(default_factory=list)
    openai_token_counter: str = "estimate"
    price_note: str = ""
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["openai_costs"] = [asdict(c) for c in self.openai_costs]
        return data

    def rows(self) -> list[tuple[str, str]]:
        """Label/value lines for a person."""
        rows = [
            ("training data", f"{self.training_data} ({self.examples} examples)"),
            (
                "validation data",
                f"{self.validation_data} ({self.validation_examples} examples)"
                if self.validation_data
                else "-",
            ),
            ("epochs", str(self.n_epochs)),
            (
                "tokens per epoch",
                f"{self.tokens_per_epoch:,}" + ("" if self.tokens_exact else " (estimate)"),
            ),
            ("trained tokens", f"{self.trained_tokens:,}"),
        ]
        if self.steps is not None:
            rows.append(("optimizer steps", str(self.steps)))
        if self.padding_waste is not None:
            rows.append(("padding waste", f"{self.padding_waste:.1%}"))
        if self.dropped_examples:
            rows.append(("left out (too long)", str(self.dropped_examples)))
        if self.seconds is not None:
            rows.append(("estimated time here", _duration(self.seconds)))
        if self.basis:
            rows.append(("time basis", self.basis))
        rows.extend(("warning", w) for w in self.warnings)
        return rows


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"about {hours} h {minutes:02d} min"
    if minutes:
        return f"about {minutes} min {secs:02d} s"
    return f"about {secs} s"


def _openai_costs(
    totals: list[int], epochs: int, base_model: str, trainer: str
) -> list[OpenAICost]:
    from tuneloop.data.tokenstats import TRAINING_PRICE_PER_MILLION, estimate_cost, training_price

    models = list(TRAINING_PRICE_PER_MILLION)
    if trainer != LOCAL_TRAINER and (found := training_price(base_model)) is not None:
        models = [found[0]]
    costs = []
    for model in models:
        cost = estimate_cost(totals, limit=OPENAI_TOKEN_LIMIT, epochs=epochs, model=model)
        if cost.cost_usd is not None and cost.price_per_million is not None:
            costs.append(
                OpenAICost(model, cost.price_per_million, cost.billed_tokens, cost.cost_usd)
            )
    return costs


def estimate_run(config: TrainConfig, store: Store | None) -> RunEstimate:
    """Resolve and validate the data of ``config`` and estimate tokens, time and OpenAI cost.

    Raises what a real start would: :class:`~tuneloop.errors.DataError` for missing or invalid
    data, :class:`~tuneloop.errors.TrainError` for an unusable base model (local trainer).
    """
    from tuneloop.data.tokenstats import PRICES_CHECKED, is_openai_model
    from tuneloop.data.validate import validate_file
    from tuneloop.train.jobs import resolve_training_data

    data = resolve_data(config, store)
    train = resolve_training_data(data.training, store, param="training_file")
    valid = (
        resolve_training_data(data.validation, store, param="validation_file")
        if data.validation
        else None
    )
    hp = config.hyperparameters
    remote = config.trainer != LOCAL_TRAINER and is_openai_model(config.base_model)
    report = validate_file(train.path, model=config.base_model if remote else None)
    totals = list(report.stats.totals) if report.stats else []
    exact = report.stats.exact if report.stats else False
    counter = report.stats.counter if report.stats else "estimate"
    counted = (
        f"exact token counts ({counter})"
        if exact
        else "estimated token counts (~4 characters per token; encoding files not installed)"
    )
    result = RunEstimate(
        trainer=config.trainer,
        base_model=config.base_model,
        training_data=data.training,
        validation_data=data.validation,
        examples=len(train.examples),
        validation_examples=len(valid.examples) if valid else None,
        n_epochs=hp.n_epochs,
        tokens_per_epoch=sum(totals),
        tokens_exact=exact,
        trained_tokens=sum(totals) * hp.n_epochs,
        openai_costs=_openai_costs(totals, hp.n_epochs, config.base_model, config.trainer),
        openai_token_counter=counter,
        price_note=f"OpenAI prices checked {PRICES_CHECKED}, {counted}. Check "
        "https://openai.com/api/pricing before relying on them.",
        warnings=list(train.warnings[:5]),
    )
    if config.trainer == LOCAL_TRAINER:
        from tuneloop.train.sft_trainer import estimate

        local = estimate(train.examples, hp, config.base_model)
        result.tokens_per_epoch = local.tokens_per_epoch
        result.tokens_exact = True
        result.trained_tokens = local.trained_tokens
        result.steps = local.steps
        result.padding_waste = local.padding_waste
        result.dropped_examples = local.dropped
        result.seconds = local.seconds
        result.basis = local.basis
    return result
