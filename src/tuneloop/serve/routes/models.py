"""``GET /v1/models`` and ``GET /v1/models/{model}``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from tuneloop.models.catalog import ModelSpec
from tuneloop.serve.auth import check_model_access, model_allowed, require_scope
from tuneloop.serve.routes.chat import ERRORS
from tuneloop.serve.schemas import Model, ModelList

router = APIRouter(tags=["models"], dependencies=[require_scope("chat")])


def _model(spec: ModelSpec) -> Model:
    owner = "tuneloop" if spec.source == "builtin" else f"{spec.backend}"
    return Model(id=spec.name, created=0, owned_by=owner)


@router.get("/v1/models", response_model=ModelList, responses=ERRORS, summary="List models")
async def list_models(request: Request) -> ModelList:
    specs = await run_in_threadpool(request.app.state.tuneloop.catalog.specs)
    return ModelList(data=[_model(s) for s in specs if model_allowed(request, s.name)])


@router.get(
    "/v1/models/{model:path}", response_model=Model, responses=ERRORS, summary="Retrieve a model"
)
async def retrieve_model(model: str, request: Request) -> Model:
    check_model_access(request, model)
    spec = await run_in_threadpool(request.app.state.tuneloop.catalog.spec, model)
    return _model(spec)
