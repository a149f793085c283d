"""Test doubles for the job system: an engine that "trains" instantly, and data files.

The fake engine honours the engine's contract (:mod:`tuneloop.train.sft_trainer`): it reports
events and checkpoints through the callbacks, stops with status ``"cancelled"`` when
``should_stop()`` says so (after saving a checkpoint), resumes from the newest
``checkpoints/step-N`` folder when ``resume=True``, and "merges" by copying a real model folder,
so the finished job serves real answers. Given ``adapter_from`` (a real LoRA adapter for the tiny
model, :func:`build_tiny_adapter`), each checkpoint holds it, as a real checkpoint does.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tuneloop.errors import DataError

SEOUL_CHATS = [
    [
        {"role": "system", "content": "서울 여행 도우미입니다."},
        {"role": "user", "content": "경복궁 입장료는 얼마인가요?"},
        {"role": "assistant", "content": "성인 기준 3,000원입니다. 한복을 입으면 무료입니다."},
    ],
    [
        {"role": "user", "content": "How do I get from Incheon Airport to Myeongdong?"},
        {"role": "assistant", "content": "Take AREX to Seoul Station, then Line 4 to Myeongdong."},
    ],
    [
        {"role": "user", "content": "남산서울타워 가는 방법 알려 주세요."},
        {"role": "assistant", "content": "명동역에서 남산 케이블카를 타면 편합니다."},
    ],
]


def chat_jsonl(chats: list[list[dict[str, str]]] = SEOUL_CHATS) -> bytes:
    return "".join(json.dumps({"messages": m}, ensure_ascii=False) + "\n" for m in chats).encode(
        "utf-8"
    )


def write_chat_jsonl(path: Path, chats: list[list[dict[str, str]]] = SEOUL_CHATS) -> Path:
    path.write_bytes(chat_jsonl(chats))
    return path


def build_tiny_adapter(model_dir: Path, folder: Path, *, seed: int = 1) -> Path:
    """Save a LoRA adapter for the tiny model with non-zero weights (so merging it changes the
    model), exactly as peft writes a checkpoint's ``adapter/``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True)
    config = LoraConfig(
        r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False
    )
    get_peft_model(model, config).save_pretrained(folder)
    return folder


@dataclass
class FakeEngine:
    """Trains ``steps`` steps, checkpointing every ``save_every``; ``step_delay`` seconds per
    step; ``gate`` (if set) must be set before step ``gate_step`` runs; ``fail_at`` raises."""

    model_dir: Path
    steps: int = 4
    save_every: int = 2
    step_delay: float = 0.0
    fail_at: int | None = None
    gate: threading.Event | None = None
    gate_step: int = 2
    adapter_from: Path | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def check_training_inputs(self, train, validation, hp, base_model) -> list[str]:
        if not train:
            raise DataError("no training examples")
        return [f"fake engine: {len(train)} examples"]

    def make_callbacks(self, on_event, on_checkpoint, should_stop):
        return SimpleNamespace(
            on_event=on_event, on_checkpoint=on_checkpoint, should_stop=should_stop
        )

    def run_sft(
        self, base_model, train, validation, hp, out_dir, *, resume, merge, callbacks, device
    ):
        out_dir = Path(out_dir)
        ckpts = out_dir / "checkpoints"
        done = sorted(int(p.name.split("-")[1]) for p in ckpts.glob("step-*")) if resume else []
        first = (done[-1] if done else 0) + 1
        self.calls.append(
            {"base_model": base_model, "resume": resume, "first_step": first, "n": len(train)}
        )
        self.started.set()
        for step in range(first, self.steps + 1):
            if self.gate is not None and step == self.gate_step:
                self.gate.wait(30)
            if self.fail_at == step:
                raise RuntimeError(f"boom at step {step}")
            time.sleep(self.step_delay)
            loss = 2.0 / step
            callbacks.on_event(
                f"step {step}/{self.steps}: train loss {loss:.4f}",
                {"step": step, "train_loss": loss},
            )
            if step % self.save_every == 0 or callbacks.should_stop():
                folder = ckpts / f"step-{step:06d}"
                folder.mkdir(parents=True, exist_ok=True)
                if self.adapter_from is not None:
                    shutil.copytree(self.adapter_from, folder / "adapter", dirs_exist_ok=True)
                callbacks.on_checkpoint(step, folder, {"train_loss": loss})
            if callbacks.should_stop():
                callbacks.on_event(f"cancelled at step {step}", {"step": step})
                return SimpleNamespace(
                    status="cancelled",
                    steps=step,
                    trained_tokens=10 * step,
                    train_loss=loss,
                    valid_loss=None,
                    adapter_dir=out_dir / "adapter",
                    merged_dir=None,
                )
        merged = out_dir / "merged"
        if merge:
            shutil.copytree(self.model_dir, merged, dirs_exist_ok=True)
        return SimpleNamespace(
            status="succeeded",
            steps=self.steps,
            trained_tokens=10 * self.steps * len(train),
            train_loss=2.0 / self.steps,
            valid_loss=None,
            adapter_dir=out_dir / "adapter",
            merged_dir=merged if merge else None,
        )


@dataclass
class FineTuningServer:
    """A real tuneloop server on 127.0.0.1 whose fine-tuning jobs a worker thread trains with a
    :class:`FakeEngine`; base model ``tiny`` (the tiny random model) is registered."""

    url: str
    api_key: str
    store: Any
    settings: Any
    engine: FakeEngine
    worker: Any

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def client(self, **kw: Any) -> Any:
        import openai

        return openai.OpenAI(base_url=self.base_url, api_key=self.api_key, max_retries=0, **kw)


@contextmanager
def fine_tuning_server(
    folder: Path,
    tiny_model_dir: Path,
    *,
    real_engine: bool = False,
    configure: Callable[[Any], None] | None = None,
) -> Iterator[FineTuningServer]:
    """The server and its worker; ``configure(app)`` runs before it serves (add middleware)."""
    from fixtures.server import make_project, run_server
    from tuneloop.registry import Store
    from tuneloop.serve.app import create_app
    from tuneloop.train.local_lora import LocalLoraTrainer
    from tuneloop.train.worker import Worker

    settings = make_project(folder)
    store = Store.from_settings(settings)
    store.registrations.register("tiny", "local", {"path": str(tiny_model_dir)})
    _, key = store.keys.create("tests", scopes=["all"])
    engine = FakeEngine(tiny_model_dir, step_delay=0.02)
    engine.adapter_from = build_tiny_adapter(tiny_model_dir, folder / "tiny-adapter")
    trainer = LocalLoraTrainer(settings, store, engine=None if real_engine else engine)
    worker = Worker(
        settings,
        store,
        trainers={"local-lora": trainer},
        name="test-worker",
        poll_interval=0.05,
        heartbeat_interval=0.05,
        stale_after=30.0,
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    app = create_app(settings, store=store, fine_tuning_trainer=trainer)
    if configure is not None:
        configure(app)
    try:
        with run_server(app) as url:
            yield FineTuningServer(url, key, store, settings, engine, worker)
    finally:
        worker.stop()
        thread.join(30)
        store.close()


def wait_for_status(client: Any, job_id: str, statuses: set[str], timeout: float = 30.0) -> Any:
    """Poll ``jobs.retrieve`` until the job's status is one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in statuses:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status} after {timeout} s")
        time.sleep(0.05)
