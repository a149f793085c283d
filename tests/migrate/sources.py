"""What ``migrate openai pull`` and ``record`` leave behind, built directly per the contract
between the steps: a ``NAME-openai`` dataset version, a *source* model version (backend
``openai``, the ``ft:`` id, ``artifacts.source``) with ``NAME@production`` on it, and a golden
suite (``migrate/NAME/golden.yaml`` + ``golden.jsonl``). The retrain, parity and switch tests
start from here, so they do not depend on the pull and record code."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tuneloop.data.records import Example, Source, write_records
from tuneloop.data.versions import push_dataset
from tuneloop.hookspecs import hookimpl
from tuneloop.models.canned import CannedReplyModel, last_user_message
from tuneloop.models.types import Message
from tuneloop.plugins import plugin_manager
from tuneloop.registry import Store
from tuneloop.registry.models import ModelVersion

FT_ID = "ft:gpt-4o-mini-2024-07-18:acme:seoul-guide:AbC123"
JOB_ID = "ftjob-abc123def456"
NAME = "seoul-guide"
SYSTEM = "당신은 서울 여행 도우미입니다."

# (question, the old fine-tune's answer): what record stored as the golden answers
GOLDEN = [
    ("경복궁은 언제 쉬나요?", "경복궁은 매주 화요일에 쉽니다. 관람 시간은 9시부터 18시까지입니다."),
    ("경복궁 입장료는 얼마인가요?", "성인 기준 3,000원입니다. 한복을 입으면 무료입니다."),
    ("인천공항에서 명동 가는 법?", "AREX를 타고 서울역에서 4호선으로 갈아타 명동역에서 내리세요."),
    ("남산서울타워는 몇 시까지 하나요?", "남산서울타워 전망대는 밤 11시까지 운영합니다."),
    ("광장시장에서 뭘 먹을까요?", "광장시장에서는 빈대떡과 마약김밥을 꼭 드셔 보세요."),
    ("티머니 카드는 어디서 사요?", "티머니 카드는 편의점과 지하철역 자판기에서 살 수 있습니다."),
    ("How do I get to N Seoul Tower?", "Take the Namsan cable car or bus 01A from Myeongdong."),
    ("Is Gyeongbokgung open on Tuesdays?", "No. Gyeongbokgung is closed every Tuesday."),
    ("경복궁 정보를 JSON으로 주세요.", '{"name": "경복궁", "closed": "화요일", "fee": 3000}'),
    (
        "창덕궁 후원 예약이 필요한가요?",
        "창덕궁 후원은 예약이 필요하며 하루 여러 회차로 운영됩니다.",
    ),
]

OPENAI_HYPERPARAMETERS: dict[str, Any] = {
    "method": {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {"n_epochs": 3, "batch_size": 12, "learning_rate_multiplier": 1.8}
        },
    },
    "hyperparameters": {"n_epochs": 3, "batch_size": 12, "learning_rate_multiplier": 1.8},
}


def _examples(pairs: Sequence[tuple[str, str]], file: str) -> list[Example]:
    return [
        Example(
            messages=[
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": q},
                {"role": "assistant", "content": a},
            ],
            source=Source(f"openai:{file}", line),
        )
        for line, (q, a) in enumerate(pairs, start=1)
    ]


def _jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def seed_source(
    store: Store,
    folder: Path,
    *,
    name: str = NAME,
    model_id: str = FT_ID,
    job_id: str = JOB_ID,
    hyperparameters: dict[str, Any] | None = None,
    validation: bool = True,
    base_model: str = "gpt-4o-mini-2024-07-18",
    production: bool = True,
) -> ModelVersion:
    """Push ``NAME-openai`` (train + validation) and register the source version as pull does."""
    pulled = folder / "pulled"
    pulled.mkdir(parents=True, exist_ok=True)
    write_records(pulled / "train.jsonl", _examples(GOLDEN[:8], "file-train"))
    files = {"train": pulled / "train.jsonl"}
    if validation:
        write_records(pulled / "validation.jsonl", _examples(GOLDEN[8:], "file-valid"))
        files["validation"] = pulled / "validation.jsonl"
    dataset, _ = push_dataset(
        store,
        f"{name}-openai",
        files,
        author="test",
        pipeline=[
            {
                "step": "openai-pull",
                "job": job_id,
                "training_file": "openai:file-train",
                "validation_file": "openai:file-valid" if validation else None,
                "base_url": None,
            }
        ],
    )
    source = store.models.register_version(
        name,
        model_id=model_id,
        backend="openai",
        config={"model": model_id},
        base_model=base_model,
        author="test",
        job_id=job_id,
        dataset_ref=f"{dataset.ref}:train",
        hyperparameters=OPENAI_HYPERPARAMETERS if hyperparameters is None else hyperparameters,
        metrics={"train_loss": 0.41, "valid_loss": 0.52},
        artifacts={
            "provider": "openai",
            "source": True,
            "result_files": ["file-result"],
            "shutdown_date": "2027-01-14",
            "trained_tokens": 12345,
        },
    )
    if production:
        store.models.set_alias(
            name,
            "production",
            source.version,
            by="test",
            force=True,
            reason="migrated from OpenAI: the fine-tune production uses today",
        )
    return source


def case_id(messages: Sequence[dict[str, str]], params: dict[str, Any]) -> str:
    blob = json.dumps({"messages": list(messages), **params}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def write_golden(
    project_dir: Path,
    *,
    name: str = NAME,
    model_id: str = FT_ID,
    pairs: Sequence[tuple[str, str]] = GOLDEN,
) -> Path:
    """``migrate/NAME/golden.yaml`` + ``golden.jsonl`` as record writes them; the yaml path."""
    folder = project_dir / "migrate" / name
    params = {"model": model_id, "temperature": 0, "max_tokens": 200, "seed": 7}
    rows = []
    for i, (question, answer) in enumerate(pairs):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
        rows.append(
            {
                "id": case_id(messages, params),
                "messages": [*messages, {"role": "assistant", "content": answer}],
                "tags": ["validation" if i % 3 == 0 else "train-sample"],
                "source_model": model_id,
                "params": params,
                "usage": {"prompt_tokens": 20, "completion_tokens": 15, "total_tokens": 35},
                "latency_ms": 420.0,
                "finish_reason": "stop",
            }
        )
    _jsonl(folder / "golden.jsonl", rows)
    suite = folder / "golden.yaml"
    recorded = json.dumps({k: v for k, v in params.items() if k != "model"})
    suite.write_text(
        f"name: {name}-golden\nparams: {recorded}\ncases_from: [golden.jsonl]\n", encoding="utf-8"
    )
    return suite


def golden_answers(pairs: Sequence[tuple[str, str]] = GOLDEN) -> dict[str, str]:
    return dict(pairs)


# ------------------------------------------------------------------------ a scripted backend


class ParrotModel(CannedReplyModel):
    """Answers from its config: ``answers`` by question, else ``default``."""

    def __init__(self, name: str, config: dict[str, Any]) -> None:
        super().__init__(name)
        self.answers: dict[str, str] = dict(config.get("answers") or {})
        self.default = str(config.get("default", ""))

    def _reply(self, messages: Sequence[Message]) -> str:
        return self.answers.get(last_user_message(messages), self.default)


class ParrotPlugin:
    """Registers the ``parrot`` backend, so a model version's config decides its answers."""

    @hookimpl
    def register_backends(self, register: Any) -> None:
        register("parrot", lambda spec, settings: ParrotModel(spec.name, dict(spec.config)))


@contextmanager
def parrot_backend() -> Iterator[None]:
    plugin_manager().register(ParrotPlugin(), name="test-parrot")
    try:
        yield
    finally:
        plugin_manager().unregister(name="test-parrot")


def register_local(
    store: Store,
    *,
    name: str = NAME,
    answers: dict[str, str] | None = None,
    default: str = "",
    tag: str = "local",
) -> ModelVersion:
    """A "locally trained" version of ``name`` served by the parrot backend."""
    return store.models.register_version(
        name,
        model_id=f"ft:smollm2-135m:tuneloop:{name}:{tag}",
        backend="parrot",
        config={"answers": answers or {}, "default": default},
        base_model="smollm2-135m",
        author="test",
        dataset_ref=f"{name}-openai@1:train",
    )
