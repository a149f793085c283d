"""Small Korean/English chat sets and hyperparameters shared by the local LoRA engine tests."""

from __future__ import annotations

from typing import Any

from tuneloop.data.records import Example, Source
from tuneloop.train.base import Hyperparameters

QA = [
    ("서울의 유명한 관광지는?", "경복궁입니다."),
    ("Hello", "Hi there!"),
    ("남산타워는 어디에 있어요?", "남산 위에 있습니다."),
    ("Best food in Seoul?", "Bibimbap and kimchi."),
    ("지하철 요금은 얼마예요?", "1,400원입니다."),
    ("Recommend a palace", "Gyeongbokgung."),
    ("북촌은 어떤 곳이에요?", "한옥마을입니다."),
    ("Where to shop?", "Myeongdong."),
    ("한강은 어디로 흘러요?", "서울을 가로지릅니다."),
    ("Thanks", "You are welcome!"),
]


def qa_examples(pairs: list[tuple[str, str]] = QA, path: str = "train.jsonl") -> list[Example]:
    return [
        Example(
            messages=[{"role": "user", "content": q}, {"role": "assistant", "content": a}],
            source=Source(path, line),
        )
        for line, (q, a) in enumerate(pairs, start=1)
    ]


def fast_hp(**overrides: Any) -> Hyperparameters:
    """Hyperparameters that make the tiny random model learn within a few dozen steps (LoRA on
    lm_head too: the random model's tiny embeddings bound what attention alone can change)."""
    values: dict[str, Any] = {
        "n_epochs": 20,
        "batch_size": 2,
        "learning_rate": 2e-2,
        "max_length": 128,
        "lora_dropout": 0.0,
        "warmup_ratio": 0.0,
        "save_every": 1000,
        "packing": True,  # the tests pin packing; "auto" would pick length grouping on a CPU
        "target_modules": ["q_proj", "v_proj", "lm_head"],
    }
    values.update(overrides)
    return Hyperparameters(**values)
