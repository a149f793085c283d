"""The ``local-lora`` trainer: LoRA fine-tuning on this machine, as a queued job.

Why a queue and not "train now": training takes minutes to hours, must not block the server's
event loop or the CLI, must survive a restart, and must be cancellable.
:meth:`LocalLoraTrainer.start` only checks the request — data resolved and validated with the
data stage's validator, then the engine's own checks (tokenizer, chat template, LoRA target
modules) — and queues the job (``validating_files`` → ``queued``). A worker
(:mod:`tuneloop.train.worker`) claims it and calls :meth:`LocalLoraTrainer.execute`, which runs
the engine (:func:`tuneloop.train.sft_trainer.run_sft`) with callbacks that write its events and
checkpoints to the store, resuming from the last checkpoint if the job ran before.

On success the merged model is registered as a model version (``backend="local"``,
``config={"path": merged_dir}``) under the fine-tuned id
``ft:{base}:tuneloop:{suffix or 'model'}:{job id}`` by :func:`tuneloop.train.finish.register_result`
(the name and lineage rule every trainer shares; no alias moves), so ``GET /v1/models`` lists it
and chat completions accept it by that id.

Each checkpoint whose folder holds a LoRA adapter is servable as
``ft:…:ckpt-step-N`` (OpenAI's checkpoint ids): it is registered as a ``local`` model — the base
model's weights plus that adapter — the moment it is recorded; a checkpoint without an adapter
gets no model id and is not advertised.

The engine is injectable (``engine=``): tests pass a fake that "trains" instantly; by default it
is :mod:`tuneloop.train.sft_trainer`, imported only when needed (it pulls in torch).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from tuneloop.errors import TrainError
from tuneloop.train.base import Checkpoint, Hyperparameters, JobEvent, TrainJob, TrainRequest
from tuneloop.train.finish import register_result
from tuneloop.train.jobs import (
    JobService,
    TrainingData,
    check_suffix,
    checkpoint_model_id,
    fine_tuned_model_id,
    job_output_dir,
    resolve_training_data,
)
from tuneloop.train.result_file import RESULT_FILES_KEY, store_result_file

if TYPE_CHECKING:
    from tuneloop.config import Settings
    from tuneloop.data.records import Example
    from tuneloop.registry import Store
    from tuneloop.train.worker import RunControl

__all__ = ["ADAPTER_DIR", "LocalLoraTrainer", "SftEngine"]

NAME = "local-lora"
ADAPTER_DIR = "adapter"
"""The sub-folder of a checkpoint that holds its LoRA adapter (peft's ``save_pretrained``)."""


class SftEngine(Protocol):
    """What the trainer needs from the training engine (:mod:`tuneloop.train.sft_trainer`)."""

    def check_training_inputs(
        self,
        train: Sequence[Example],
        validation: Sequence[Example] | None,
        hp: Hyperparameters,
        base_model: str | Path,
    ) -> list[str]:
        """Raise for input the run would fail on; return warnings."""
        ...

    def run_sft(
        self,
        base_model: str | Path,
        train: Sequence[Example],
        validation: Sequence[Example] | None,
        hp: Hyperparameters,
        out_dir: Path,
        *,
        resume: bool,
        merge: bool,
        callbacks: Any,
        device: str | None,
    ) -> Any: ...

    def make_callbacks(
        self,
        on_event: Callable[[str, dict[str, Any]], None],
        on_checkpoint: Callable[[int, Path, dict[str, float]], None],
        should_stop: Callable[[], bool],
    ) -> Any: ...


class _ModuleEngine:
    """:class:`SftEngine` over the real engine module, imported on first use."""

    def __init__(self, module: str = "tuneloop.train.sft_trainer") -> None:
        self._name = module

    @property
    def module(self) -> Any:
        return importlib.import_module(self._name)

    def check_training_inputs(
        self,
        train: Sequence[Example],
        validation: Sequence[Example] | None,
        hp: Hyperparameters,
        base_model: str | Path,
    ) -> list[str]:
        return list(self.module.check_training_inputs(train, validation, hp, base_model))

    def run_sft(
        self,
        base_model: str | Path,
        train: Sequence[Example],
        validation: Sequence[Example] | None,
        hp: Hyperparameters,
        out_dir: Path,
        *,
        resume: bool,
        merge: bool,
        callbacks: Any,
        device: str | None,
    ) -> Any:
        return self.module.run_sft(
            base_model,
            train,
            validation,
            hp,
            out_dir,
            resume=resume,
            merge=merge,
            callbacks=callbacks,
            device=device,
        )

    def make_callbacks(
        self,
        on_event: Callable[[str, dict[str, Any]], None],
        on_checkpoint: Callable[[int, Path, dict[str, float]], None],
        should_stop: Callable[[], bool],
    ) -> Any:
        return self.module.SftCallbacks(
            on_event=on_event, on_checkpoint=on_checkpoint, should_stop=should_stop
        )


class LocalLoraTrainer:
    """:class:`~tuneloop.train.base.Trainer` that queues LoRA jobs for a local worker."""

    name = NAME

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        engine: SftEngine | None = None,
        device: str | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.engine: SftEngine = engine or _ModuleEngine()
        self.device = device
        self.jobs = JobService(store, NAME)

    # -- Trainer ------------------------------------------------------------------------------

    def start(self, request: TrainRequest) -> TrainJob:
        """Validate data, base model and hyperparameters, then queue the job for a worker."""
        check_suffix(request.suffix)
        base = self.base_model_location(request.base_model)
        train, validation = self._data(request.training_data, request.validation_data)
        notes = self.engine.check_training_inputs(
            train.examples,
            validation.examples if validation else None,
            request.hyperparameters,
            base,
        )
        job = self.jobs.create(request, status="validating_files")
        for data in (train, validation):
            if data is None:
                continue
            self.jobs.log(job.id, f"Validated {data.ref}: {len(data.examples)} examples")
            for warning in data.warnings[:20]:
                self.jobs.log(job.id, warning, level="warn")
        for note in notes:
            self.jobs.log(job.id, note, level="warn")
        queued = self.store.train_jobs.transition(job.id, "queued", expect={"validating_files"})
        self.jobs.log(job.id, "Files validated, moving job to queued state")
        return queued or self.jobs.get(job.id)

    def base_model_location(self, base_model: str) -> str | Path:
        """What the engine loads for ``base_model``: a built-in name as is, a model registered in
        the project (``tuneloop models add NAME local PATH``) as its folder or file."""
        from tuneloop.models.catalog import Catalog

        spec = Catalog(self.settings, self.store, allow_ad_hoc=True).spec(base_model)
        if spec.backend != "local":
            raise TrainError(
                f"Base model {base_model!r} is served by the {spec.backend!r} backend; local LoRA "
                "needs its weights on this machine.",
                hint="Use the openai trainer for hosted models, or a local model such as "
                "smollm2-135m.",
                param="model",
            )
        if spec.source == "builtin":
            return base_model
        path = spec.config.get("path") or spec.config.get("target")
        if not path:
            raise TrainError(
                f"Base model {base_model!r} has no weights path in its configuration.",
                hint="Register it with a folder: `tuneloop models add NAME local PATH`.",
                param="model",
            )
        return Path(str(path))

    def get(self, job_id: str) -> TrainJob:
        return self.jobs.get(job_id)

    def events(self, job_id: str, *, after: str | None = None, limit: int = 20) -> list[JobEvent]:
        return self.jobs.events(job_id, after=after, limit=limit)[0]

    def checkpoints(self, job_id: str) -> list[Checkpoint]:
        return self.jobs.checkpoints(job_id, limit=10_000)[0]

    def cancel(self, job_id: str) -> TrainJob:
        return self.jobs.cancel(job_id)

    def resume(self, job_id: str) -> TrainJob:
        return self.jobs.resume(job_id)

    # -- run by a worker ----------------------------------------------------------------------

    def execute(self, job: TrainJob, control: RunControl) -> Literal["succeeded", "stopped"]:
        """Train ``job`` (claimed by ``control.worker``) to the end, or until told to stop.

        Returns ``"succeeded"`` (the job is marked so and its model registered) or
        ``"stopped"`` (the engine stopped at ``control.should_stop()``; the worker decides
        between cancelled and requeued). Raises for a failed run; the worker records the error.
        """
        train, validation = self._data(job.training_data, job.validation_data)
        hp = Hyperparameters.model_validate(job.hyperparameters)
        out_dir = job_output_dir(self.store, job.id)
        latest = self.store.train_jobs.latest_checkpoint(job.id)
        resume = latest is not None and Path(latest.path).exists()

        def on_event(message: str, data: Mapping[str, Any]) -> None:
            payload = dict(data)
            level = str(payload.pop("level", "info"))
            metrics = "train_loss" in payload or "valid_loss" in payload
            self.jobs.log(
                job.id,
                message,
                level=level if level in ("info", "warn", "error") else "info",
                type="metrics" if metrics else "message",
                data=payload,
            )

        def on_checkpoint(step: int, path: Path, metrics: Mapping[str, float]) -> None:
            self.store.train_jobs.add_checkpoint(
                job.id,
                step=int(step),
                path=str(path),
                metrics={"step": float(step), **dict(metrics)},
                model_id=self._serve_checkpoint(job, int(step), Path(path)),
            )

        callbacks = self.engine.make_callbacks(on_event, on_checkpoint, control.should_stop)
        result = self.engine.run_sft(
            self.base_model_location(job.base_model),
            train.examples,
            validation.examples if validation else None,
            hp,
            out_dir,
            resume=resume,
            merge=True,
            callbacks=callbacks,
            device=self.device,
        )
        status = str(getattr(result, "status", "succeeded"))
        if status == "cancelled":
            return "stopped"
        if status not in ("succeeded", "stopped_early"):
            raise TrainError(
                f"Training of {job.id} ended with status {status!r}.",
                hint="See the job's events for the reason.",
            )
        self._succeed(job, result, control.worker)
        return "succeeded"

    # -- helpers ------------------------------------------------------------------------------

    def _data(
        self, training: str, validation: str | None
    ) -> tuple[TrainingData, TrainingData | None]:
        train = resolve_training_data(training, self.store, param="training_file")
        valid = (
            resolve_training_data(validation, self.store, param="validation_file")
            if validation
            else None
        )
        return train, valid

    def _serve_checkpoint(self, job: TrainJob, step: int, folder: Path) -> str | None:
        """Register checkpoint ``step`` as a servable model (base weights + its adapter) and
        return its id ``ft:…:ckpt-step-N``; None (not advertised) if it holds no adapter."""
        adapter = folder / ADAPTER_DIR
        if not (adapter / "adapter_config.json").is_file():
            return None
        from tuneloop.models.catalog import Catalog

        base = Catalog(self.settings, self.store, allow_ad_hoc=True).spec(job.base_model)
        model_id = checkpoint_model_id(job.base_model, job.suffix, job.id, step)
        self.store.registrations.register(
            model_id,
            "local",
            {**dict(base.config), "adapter": str(adapter)},
            f"checkpoint step {step} of {job.id}: {job.base_model} + its LoRA adapter",
            replace=True,
        )
        return model_id

    def _succeed(self, job: TrainJob, result: Any, worker: str) -> None:
        merged = getattr(result, "merged_dir", None)
        if merged is None:
            raise TrainError(
                f"Training of {job.id} finished without a merged model to serve.",
                hint="This is a bug in the training engine; resume the job to retry.",
            )
        model_id = fine_tuned_model_id(job.base_model, job.suffix, job.id)
        metrics = {
            key: value
            for key in ("steps", "train_loss", "valid_loss", "trained_tokens")
            if (value := getattr(result, key, None)) is not None
        }
        adapter = getattr(result, "adapter_dir", None)
        artifacts = {"merged_dir": str(merged)}
        if adapter is not None:
            artifacts["adapter_dir"] = str(adapter)
        register_result(
            self.store,
            job,
            model_id=model_id,
            backend="local",
            config={"path": str(merged)},
            metrics=metrics,
            artifacts=artifacts,
        )
        trained_tokens = getattr(result, "trained_tokens", None)
        results_file = store_result_file(self.store, job)  # OpenAI's step-metrics CSV
        self.store.train_jobs.transition(
            job.id,
            "succeeded",
            expect={"running"},
            worker=worker,
            fine_tuned_model=model_id,
            trained_tokens=int(trained_tokens) if trained_tokens is not None else None,
            metrics={**metrics, RESULT_FILES_KEY: [results_file]},
        )
        self.jobs.log(job.id, f"New fine-tuned model created: {model_id}")
        self.jobs.log(job.id, "The job has successfully completed")
