"""Training checkpoints on disk: written whole or not at all, found newest first, resumed exactly.

A checkpoint is a folder ``OUT/checkpoints/step-000050/`` holding

- ``adapter/`` — the LoRA adapter as peft's ``save_pretrained`` writes it (servable on its own),
- ``trainer_state.pt`` — optimizer, scheduler, random generator states (python, numpy, torch,
  CUDA), the step, the token count, the loss history, the best validation loss and the adapter
  weights that reached it, and a fingerprint of the data and hyperparameters,
- ``state.json`` — the same step and metrics, readable by people and the job system.

Why a folder renamed into place: everything is written under a hidden temporary name and the
folder is renamed to ``step-…`` only when complete (a rename is atomic on POSIX), so a crash
mid-save leaves no folder that :func:`latest_checkpoint` would pick. ``trainer_state.pt`` holds
only tensors and plain Python values and is read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from tuneloop.errors import TrainError

__all__ = [
    "CHECKPOINTS_DIR",
    "checkpoint_dirs",
    "latest_checkpoint",
    "load_state",
    "replace_dir",
    "rng_state",
    "set_rng_state",
    "write_checkpoint",
]

CHECKPOINTS_DIR = "checkpoints"
STATE_FILE = "trainer_state.pt"
_NAME = re.compile(r"^step-(\d+)$")


def rng_state() -> dict[str, Any]:
    """Every random generator a training step may draw from, as plain values and tensors."""
    import numpy as np
    import torch

    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    keys = np.asarray(keys)
    version, internal, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss_next],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` captured."""
    import numpy as np
    import torch

    version, internal, gauss_next = state["python"]
    random.setstate((version, tuple(internal), gauss_next))
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def replace_dir(tmp: Path, final: Path) -> None:
    """Move a fully written folder into place, replacing an older one of the same name."""
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}")
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old)
    else:
        tmp.rename(final)


def write_checkpoint(
    out_dir: Path, step: int, model: Any, state: dict[str, Any], metrics: dict[str, float]
) -> Path:
    """Write checkpoint ``step`` (adapter + ``state``) atomically; return its folder."""
    import torch

    root = out_dir / CHECKPOINTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:06d}"
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-step-{step:06d}-", dir=root))
    try:
        model.save_pretrained(tmp / "adapter")
        with (tmp / STATE_FILE).open("wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        summary = {"step": step, "metrics": metrics}
        (tmp / "state.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        replace_dir(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def checkpoint_dirs(out_dir: Path) -> list[Path]:
    """Complete checkpoint folders under ``out_dir``, oldest step first."""
    root = out_dir / CHECKPOINTS_DIR
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        match = _NAME.match(path.name)
        if match and (path / STATE_FILE).is_file() and (path / "adapter").is_dir():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(out_dir: Path) -> Path | None:
    """The newest complete checkpoint, or ``None``."""
    found = checkpoint_dirs(out_dir)
    return found[-1] if found else None


def load_state(checkpoint: Path) -> dict[str, Any]:
    """The training state saved in ``checkpoint``."""
    import torch

    try:
        state: dict[str, Any] = torch.load(checkpoint / STATE_FILE, weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise TrainError(
            f"Cannot read checkpoint {checkpoint}: {exc}",
            hint="Delete the damaged checkpoint folder to resume from the one before it.",
        ) from exc
    return state
