"""``/v1/fine_tuning/jobs``: OpenAI's fine-tuning API over tuneloop's local LoRA trainer.

A create request is validated here and by the trainer (base model servable and local, data valid,
hyperparameters in range) and answered with the queued job; a worker process
(``tuneloop serve --train-workers N`` or ``tuneloop worker``) trains it. Reads come straight from
the store, so every server process (``--workers N``) answers the same.

The request body is data, not commands: ``metadata`` is stored and echoed, never read, and the job
carries no :class:`~tuneloop.train.base.Registration`, so its result is registered by the rule
for API jobs (:mod:`tuneloop.train.finish`: ``api-{suffix}``, lineage = the uploaded file id and
the base model) and no alias ever moves.

A succeeded job lists its step-metrics CSV in ``result_files`` (purpose ``fine-tune-results``,
:mod:`tuneloop.train.result_file`), downloadable from ``/v1/files/{id}/content`` as on OpenAI.

Checkpoints are listed only when servable: each ``fine_tuned_model_checkpoint``
(``ft:…:ckpt-step-N``) is a model id chat completions accept.

The trainer is ``local-lora`` from the plugin registry; :func:`tuneloop.serve.app.create_app`
takes another (``fine_tuning_trainer=``), which tests use to run a fake engine.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tuneloop.errors import InvalidRequest, ModelNotFound, NotFound, TrainError
from tuneloop.registry.refs import parse_data_ref
from tuneloop.serve.auth import check_model_access, require_scope
from tuneloop.serve.fine_tuning_schemas import (
    CheckpointMetrics,
    CreateFineTuningJobRequest,
    FineTuningCheckpoint,
    FineTuningCheckpointList,
    FineTuningEvent,
    FineTuningEventList,
    FineTuningJob,
    FineTuningJobList,
    JobError,
    JobHyperparameters,
    JobMethod,
    SupervisedMethod,
)
from tuneloop.serve.routes.chat import ERRORS
from tuneloop.train.base import (
    Checkpoint,
    Hyperparameters,
    JobEvent,
    Trainer,
    TrainJob,
    TrainRequest,
)
from tuneloop.train.jobs import JobService
from tuneloop.train.result_file import result_files

__all__ = ["checkpoint_object", "event_object", "job_object", "router"]

router = APIRouter(tags=["fine-tuning"], dependencies=[require_scope("fine_tuning")])

TRAINER = "local-lora"
_KNOBS = ("batch_size", "learning_rate_multiplier", "n_epochs")


def _trainer(request: Request) -> Trainer:
    trainer: Trainer | None = getattr(request.app.state, "fine_tuning_trainer", None)
    if trainer is None:
        from tuneloop.train.registry import get_trainer

        state = request.app.state.tuneloop
        trainer = get_trainer(TRAINER, state.settings, state.store)
        request.app.state.fine_tuning_trainer = trainer
    return trainer


def _jobs(request: Request) -> JobService:
    return JobService(request.app.state.tuneloop.store, _trainer(request).name)


def _unix(value: Any) -> int | None:
    return None if value is None else int(value.timestamp())


def job_object(job: TrainJob, organization: str) -> FineTuningJob:
    """The OpenAI ``fine_tuning.job`` object for ``job``."""
    knobs = JobHyperparameters(**{k: job.hyperparameters.get(k) for k in _KNOBS})
    error = JobError(**job.error) if job.error else None
    return FineTuningJob(
        id=job.id,
        created_at=int(job.created_at.timestamp()),
        finished_at=_unix(job.finished_at),
        model=job.base_model,
        fine_tuned_model=job.fine_tuned_model,
        organization_id=organization,
        result_files=result_files(job),
        status=job.status,
        validation_file=job.validation_data,
        training_file=job.training_data,
        hyperparameters=knobs,
        trained_tokens=job.trained_tokens,
        error=error,
        seed=job.seed if job.seed is not None else int(job.hyperparameters.get("seed", 0)),
        method=JobMethod(type="supervised", supervised=SupervisedMethod(hyperparameters=knobs)),
        metadata=job.metadata or None,
    )


def event_object(event: JobEvent) -> FineTuningEvent:
    return FineTuningEvent(
        id=event.id,
        created_at=int(event.created_at.timestamp()),
        level=event.level,
        message=event.message,
        type=event.type,
        data=event.data or None,
    )


def checkpoint_object(checkpoint: Checkpoint) -> FineTuningCheckpoint:
    """OpenAI's checkpoint object; only for a servable checkpoint (one with a ``model_id``)."""
    if checkpoint.model_id is None:
        raise ValueError(f"checkpoint {checkpoint.id} has no servable model id")
    fields = CheckpointMetrics.model_fields
    metrics = CheckpointMetrics(**{k: v for k, v in checkpoint.metrics.items() if k in fields})
    if metrics.step is None:
        metrics.step = float(checkpoint.step)
    return FineTuningCheckpoint(
        id=checkpoint.id,
        created_at=int(checkpoint.created_at.timestamp()),
        fine_tuned_model_checkpoint=checkpoint.model_id,
        fine_tuning_job_id=checkpoint.job_id,
        metrics=metrics,
        step_number=checkpoint.step,
    )


def _organization(request: Request) -> str:
    return str(request.app.state.tuneloop.settings.name)


def _hyperparameters(body: CreateFineTuningJobRequest) -> Hyperparameters:
    if body.method is not None and body.method.type != "supervised":
        raise InvalidRequest(
            f"Fine-tuning method {body.method.type!r} is not supported; tuneloop trains "
            "'supervised' jobs.",
            param="method.type",
        )
    merged: dict[str, Any] = {}
    if body.hyperparameters is not None:
        merged.update(body.hyperparameters.model_dump())
    if body.method and body.method.supervised and body.method.supervised.hyperparameters:
        merged.update(body.method.supervised.hyperparameters.model_dump())
    values = {k: v for k, v in merged.items() if v != "auto"}
    values["seed"] = body.seed if body.seed is not None else secrets.randbelow(2**31)
    try:
        return Hyperparameters.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        param = "seed" if where == "seed" else f"hyperparameters.{where}"
        if first.get("type") == "extra_forbidden":
            message = f"Unknown hyperparameter {where!r}."
        else:
            message = f"Invalid value for {param}: {first.get('msg')}."
        raise InvalidRequest(
            message,
            hint="OpenAI's knobs are n_epochs, batch_size and learning_rate_multiplier ('auto' "
            "or a number); tuneloop also accepts its local ones (lora_r, max_length, max_steps…).",
            param=param,
        ) from exc


def _check_model(request: Request, model: str) -> None:
    try:
        check_model_access(request, model)
        spec = request.app.state.tuneloop.catalog.spec(model)
    except ModelNotFound as exc:
        raise InvalidRequest(
            f"Model {model} is not available for fine-tuning or does not exist.",
            hint=exc.hint,
            param="model",
        ) from exc
    if spec.backend != "local":
        raise InvalidRequest(
            f"Model {model} is served by the {spec.backend!r} backend; this server fine-tunes "
            "local models only.",
            param="model",
        )


def _check_data_ref(ref: str | None, param: str) -> None:
    # A client names uploaded files or dataset versions, never paths on the server's disk.
    if ref is None:
        return
    source = parse_data_ref(ref, param=param).source
    if source == "path":
        raise InvalidRequest(
            f"Invalid {param} {ref!r}: give an uploaded file id (file-…) or a dataset split "
            "such as seoul-qa@1:train.",
            param=param,
        )


def _start(request: Request, body: CreateFineTuningJobRequest) -> TrainJob:
    if body.integrations:
        raise InvalidRequest("Integrations are not supported by tuneloop.", param="integrations")
    hp = _hyperparameters(body)
    _check_model(request, body.model)
    _check_data_ref(body.training_file, "training_file")
    _check_data_ref(body.validation_file, "validation_file")
    train_request = TrainRequest(
        base_model=body.model,
        training_data=body.training_file,
        validation_data=body.validation_file,
        hyperparameters=hp,
        suffix=body.suffix,
        metadata=dict(body.metadata or {}),
        # No registration: a client's request never decides where the result goes.
    )
    try:
        return _trainer(request).start(train_request)
    except NotFound as exc:
        param = (
            "validation_file"
            if body.validation_file and body.validation_file in exc.message
            else "training_file"
        )
        raise InvalidRequest(f"Invalid {param}: {exc.message}", hint=exc.hint, param=param) from exc
    except TrainError as exc:
        raise InvalidRequest(exc.message, hint=exc.hint, param=exc.param) from exc


@router.post(
    "/v1/fine_tuning/jobs",
    response_model=FineTuningJob,
    responses=ERRORS,
    summary="Create a fine-tuning job",
)
async def create_job(body: CreateFineTuningJobRequest, request: Request) -> FineTuningJob:
    job = await run_in_threadpool(_start, request, body)
    return job_object(job, _organization(request))


@router.get(
    "/v1/fine_tuning/jobs",
    response_model=FineTuningJobList,
    responses=ERRORS,
    summary="List fine-tuning jobs",
)
async def list_jobs(
    request: Request,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> FineTuningJobList:
    jobs, has_more = await run_in_threadpool(lambda: _jobs(request).list(after=after, limit=limit))
    org = _organization(request)
    return FineTuningJobList(data=[job_object(j, org) for j in jobs], has_more=has_more)


@router.get(
    "/v1/fine_tuning/jobs/{fine_tuning_job_id}",
    response_model=FineTuningJob,
    responses=ERRORS,
    summary="Retrieve a fine-tuning job",
)
async def retrieve_job(fine_tuning_job_id: str, request: Request) -> FineTuningJob:
    job = await run_in_threadpool(_jobs(request).get, fine_tuning_job_id)
    return job_object(job, _organization(request))


@router.post(
    "/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel",
    response_model=FineTuningJob,
    responses=ERRORS,
    summary="Cancel a fine-tuning job",
)
async def cancel_job(fine_tuning_job_id: str, request: Request) -> FineTuningJob:
    job = await run_in_threadpool(_trainer(request).cancel, fine_tuning_job_id)
    return job_object(job, _organization(request))


@router.get(
    "/v1/fine_tuning/jobs/{fine_tuning_job_id}/events",
    response_model=FineTuningEventList,
    responses=ERRORS,
    summary="List a fine-tuning job's events (newest first)",
)
async def list_events(
    fine_tuning_job_id: str,
    request: Request,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> FineTuningEventList:
    events, has_more = await run_in_threadpool(
        lambda: _jobs(request).events(fine_tuning_job_id, after=after, limit=limit)
    )
    return FineTuningEventList(data=[event_object(e) for e in events], has_more=has_more)


@router.get(
    "/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints",
    response_model=FineTuningCheckpointList,
    responses=ERRORS,
    summary="List a fine-tuning job's checkpoints (newest first)",
)
async def list_checkpoints(
    fine_tuning_job_id: str,
    request: Request,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> FineTuningCheckpointList:
    found, has_more = await run_in_threadpool(
        lambda: _jobs(request).checkpoints(
            fine_tuning_job_id, after=after, limit=limit, servable_only=True
        )
    )
    data = [checkpoint_object(c) for c in found]
    return FineTuningCheckpointList(
        data=data,
        has_more=has_more,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
    )
