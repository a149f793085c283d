"""Chat models: the :class:`ChatModel` seam, its value types, and the catalog of named models."""

from tuneloop.models.base import ChatModel, collect
from tuneloop.models.catalog import Catalog, ModelSpec, backends, builtin_models
from tuneloop.models.identity import ResolvedModel
from tuneloop.models.types import Chunk, Completion, Message, SamplingParams, Usage

__all__ = [
    "Catalog",
    "ChatModel",
    "Chunk",
    "Completion",
    "Message",
    "ModelSpec",
    "ResolvedModel",
    "SamplingParams",
    "Usage",
    "backends",
    "builtin_models",
    "collect",
]
