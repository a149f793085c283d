#!/usr/bin/env bash
# The scripted tour behind `make demo`: the Seoul prompt through the local SmolLM2 model, once via
# the CLI and once via `tuneloop serve` + the official openai SDK. Runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
PROMPT="서울의 유명한 관광지 3곳을 추천해 주세요"
PROJECT=demo-project

step() { printf '\n\033[1;36m== %s ==\033[0m\n' "$*"; }

step "1. Create a project ($PROJECT/)"
$BIN/tuneloop init "$PROJECT" --name seoul-travel --force
export TUNELOOP_PROJECT="$PWD/$PROJECT"
$BIN/tuneloop models list

step "2. Ask the local model through the CLI (SmolLM2-135M, CPU; its Korean is weak before fine-tuning)"
echo "you> $PROMPT"
$BIN/tuneloop chat -m "$PROMPT" --max-tokens 80 --temperature 0.3 --seed 7

step "3. Serve it with an OpenAI-compatible API and ask through the official openai SDK"
KEY=$($BIN/tuneloop keys create --name demo --json | $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["key"])')
PORT=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$BIN/tuneloop serve --port "$PORT" --log-level warning --train-workers 0 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  kill -0 $SERVER 2>/dev/null || { echo "server exited" >&2; exit 1; }
  sleep 0.5
done
BASE_URL="http://127.0.0.1:$PORT/v1" API_KEY="$KEY" PROMPT="$PROMPT" $BIN/python - <<'PY'
import os
import openai

client = openai.OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ["API_KEY"])
print("models:", [m.id for m in client.models.list()])
messages = [{"role": "user", "content": os.environ["PROMPT"]}]
resp = client.chat.completions.create(
    model="smollm2-135m", messages=messages, max_tokens=80, temperature=0.3, seed=7
)
print("assistant>", resp.choices[0].message.content)
print("usage:", resp.usage.model_dump(exclude_none=True))
print("streaming (English)> ", end="", flush=True)
stream = client.chat.completions.create(
    model="smollm2-135m",
    messages=[{"role": "user", "content": "Recommend three famous places to visit in Seoul."}],
    max_tokens=60, temperature=0.3, seed=7, stream=True,
)
for chunk in stream:
    if chunk.choices and chunk.choices[0].delta.content:
        print(chunk.choices[0].delta.content, end="", flush=True)
print()
try:
    openai.OpenAI(base_url=os.environ["BASE_URL"], api_key="wrong").models.list()
except openai.AuthenticationError as exc:
    print("a wrong key is refused:", exc.status_code)
PY

kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true  # free the CPU for what follows

step "4. Prompt engineering: lint the vague prompt, then the improved one"
$BIN/tuneloop prompt lint examples/seoul-travel/prompts/seoul-vague.yaml || true
$BIN/tuneloop prompt lint examples/seoul-travel/prompts/seoul-guide.yaml

step "5. Data: ingest documents + chat logs, make Q/A pairs, clean (PII, duplicates), split, version"
$BIN/tuneloop data prepare examples/seoul-travel/data.yaml -m "demo" --out-dir "$PROJECT/data/seoul-qa"
$BIN/tuneloop data validate "$PROJECT/data/seoul-qa/train.jsonl" --model smollm2-135m
$BIN/tuneloop data show seoul-qa --card | head -40

SUITE=examples/seoul-travel/evals/seoul-travel.yaml
run_id() { $BIN/python -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

step "6. Evaluate the base model on held-out questions (never trained on), beside two trivial baselines"
# echo answers with the question itself; retrieve with the best-matching passage of docs/. A model
# that cannot beat them has learnt nothing worth serving.
BASE_RUN=$($BIN/tuneloop eval run "$SUITE" --model smollm2-135m --tag heldout --limit 12 \
  --baseline echo --baseline retrieve --json | run_id)
$BIN/tuneloop eval report "$BASE_RUN" -o "$PROJECT/baseline-report.html"

step "7. Fine-tune SmolLM2 with LoRA on seoul-qa (a short CPU run; see examples/seoul-travel/train.yaml)"
$BIN/tuneloop train run examples/seoul-travel/train.yaml --dry-run
$BIN/tuneloop train run examples/seoul-travel/train.yaml --max-steps "${DEMO_TRAIN_STEPS:-12}" --batch-size 4
$BIN/tuneloop models versions seoul-guide

step "8. Evaluate the new version, compare, gate it against production's current model, then promote"
# Training registered a new version and moved no alias. `seoul-guide@latest` is resolved once, up
# front, to that version and its weights' hash; the run, the cache and the report carry both.
TUNED_RUN=$($BIN/tuneloop eval run "$SUITE" --model seoul-guide@latest --tag heldout --limit 12 --json | run_id)
$BIN/tuneloop eval compare "$BASE_RUN" "$TUNED_RUN" --metric fact_recall --metric answer_relevance
# The gate stores its decision about exactly these two versions; production is protected and
# moves only with a passing one (or --force --reason, recorded).
if $BIN/tuneloop eval gate "$TUNED_RUN" --baseline "$BASE_RUN" --max-regression 0.05 --for production; then
  $BIN/tuneloop models promote seoul-guide@latest --to production
else
  echo "(the gate failed, so promotion is refused:)"
  $BIN/tuneloop models promote seoul-guide@latest --to production \
    || echo "(production stays where it was; the failed gate is on record)"
fi
$BIN/tuneloop models history seoul-guide
$BIN/tuneloop eval report "$TUNED_RUN" -o "$PROJECT/eval-report.html"
echo "report: $PROJECT/eval-report.html (open it in a browser)"

step "9. Grounded answers: a versioned index of the documents, and a prompt that retrieves from it"
# The passages that best match the question are given to the model as numbered sources, and the
# answer lists them. (Training the model to use them well is the next step: issue 11.)
$BIN/tuneloop index build examples/seoul-travel/docs --name seoul-docs
$BIN/tuneloop index search "남산서울타워 가는 방법 알려 주세요." --index seoul-docs -k 2
$BIN/tuneloop chat --prompt examples/seoul-travel/prompts/seoul-grounded.yaml \
  -m "남산서울타워 가는 방법 알려 주세요." --max-tokens 60 --temperature 0

step "Done"
echo "The whole loop ran: prompts → data → eval beside baselines → fine-tune → eval → compare → gate →"
echo "promote (or a recorded refusal). Longer training (\`tuneloop train run examples/seoul-travel/train.yaml\`)"
echo "is needed before the fine-tune beats the retrieve baseline; see bench/README.md."
