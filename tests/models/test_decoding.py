"""A Korean answer cut by ``max_tokens`` or a stop sequence never ends in half a character.

SmolLM2's real byte-level BPE tokenizer splits most Hangul syllables over two tokens, so a cut
after 3..27 tokens lands inside a syllable at most lengths. The local backend is checked on a tiny
random Llama over that tokenizer whose generation is forced to the answer's tokens (a logits
processor), so real ``generate``, real streaming and the real tokenizer run; the ``openai``
backend against an upstream that sends the broken character itself.
"""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from fixtures.server import run_server
from tuneloop.models.decoding import REPLACEMENT, IncrementalDecoder, TextHoldback
from tuneloop.models.local import LocalChatModel
from tuneloop.models.openai_compat import OpenAIChatModel
from tuneloop.models.types import Message, SamplingParams

ANSWER = "경복궁은 서울 종로구에 있는 조선 왕조의 법궁입니다. 입장료는 성인 3,000원입니다."
LENGTHS = range(3, 28)
ASK = [Message("user", "경복궁은 어떤 곳인가요?")]


@pytest.fixture(scope="module")
def tokenizer(smollm2_tokenizer_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(smollm2_tokenizer_dir, local_files_only=True)


@pytest.fixture(scope="module")
def script(tokenizer) -> list[int]:
    return tokenizer(ANSWER, add_special_tokens=False)["input_ids"]


def _complete_prefix(text: str) -> str:
    """The longest prefix of ANSWER that ``text`` (a raw decode of some tokens) starts with."""
    n = 0
    while n < min(len(text), len(ANSWER)) and text[n] == ANSWER[n]:
        n += 1
    return ANSWER[:n]


def test_raw_decoding_breaks_a_syllable_at_most_lengths(tokenizer, script):
    """The premise: without holding bytes back, most cuts end in U+FFFD."""
    broken = [n for n in LENGTHS if tokenizer.decode(script[:n]).endswith(REPLACEMENT)]
    assert len(broken) >= len(LENGTHS) // 2


@pytest.mark.parametrize("n", LENGTHS)
def test_incremental_decoder_emits_only_complete_characters(tokenizer, script, n):
    decoder = IncrementalDecoder(lambda ids: tokenizer.decode(ids, skip_special_tokens=True))
    pieces = [decoder.push([token]) for token in script[:n]]
    tail = decoder.finish()
    assert all(REPLACEMENT not in p for p in [*pieces, tail])
    assert "".join(pieces) + tail == _complete_prefix(tokenizer.decode(script[:n]))


def test_incremental_decoder_emits_everything_of_a_whole_answer(tokenizer, script):
    decoder = IncrementalDecoder(lambda ids: tokenizer.decode(ids, skip_special_tokens=True))
    text = "".join(decoder.push([token]) for token in script) + decoder.finish()
    assert text == ANSWER


def test_a_broken_character_in_the_middle_is_kept_but_not_at_the_end():
    holdback = TextHoldback()
    out = [holdback.push(p) for p in ("경복", "궁\ufffd", "은 ", "서\ufffd")]
    holdback.finish()
    assert out == ["경복", "궁", "\ufffd은 ", "서"]


# --- the local backend ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forced(tiny_smollm2_dir, script):
    """The tiny model over SmolLM2's tokenizer, generating exactly ANSWER's tokens, then EOS."""
    import torch
    from transformers import LogitsProcessorList

    model = LocalChatModel("tiny-smollm2", {"path": str(tiny_smollm2_dir)})
    weights = model.weights
    eos = weights.tokenizer.eos_token_id
    original = weights.model.generate

    def generate(**kwargs):
        prompt = kwargs["input_ids"].shape[1]

        def force(input_ids, scores):
            step = input_ids.shape[1] - prompt
            token = script[step] if step < len(script) else eos
            out = torch.full_like(scores, float("-inf"))
            out[:, token] = 0.0
            return out

        return original(**kwargs, logits_processor=LogitsProcessorList([force]))

    weights.model.generate = generate
    yield model
    del weights.model.generate


@pytest.mark.parametrize("n", LENGTHS)
def test_local_answer_cut_by_max_tokens_ends_in_a_whole_character(forced, tokenizer, script, n):
    params = SamplingParams(temperature=0, max_tokens=n)
    chunks = list(forced.stream(ASK, params))
    expected = _complete_prefix(tokenizer.decode(script[:n]))
    assert "".join(c.text for c in chunks) == expected
    assert all(REPLACEMENT not in c.text for c in chunks)
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].usage.completion_tokens == n
    if n % 3 == 0:  # generate() joins the same stream: every third length is enough (CPU time)
        assert forced.generate(ASK, params).text == expected


def test_local_whole_answer_comes_out_unchanged(forced):
    completion = forced.generate(ASK, SamplingParams(temperature=0, max_tokens=120))
    assert completion.text == ANSWER
    assert completion.finish_reason == "stop"


@pytest.mark.parametrize("stop", ["서울", "조선", "입장료"])
def test_local_answer_cut_by_a_stop_sequence_ends_in_a_whole_character(forced, tokenizer, stop):
    head = ANSWER[: ANSWER.index(stop) + len(stop)]
    enough = len(tokenizer(head, add_special_tokens=False)["input_ids"]) + 2
    params = SamplingParams(temperature=0, max_tokens=enough, stop=(stop,))
    streamed = "".join(c.text for c in forced.stream(ASK, params))
    assert forced.generate(ASK, params).text == streamed == ANSWER[: ANSWER.index(stop)]


def test_a_stop_sequence_in_the_last_held_back_piece_still_stops(forced, tokenizer, script):
    """The tail flushed when ``max_tokens`` ends generation is checked for stops too."""
    n = 12
    tail = _complete_prefix(tokenizer.decode(script[:n]))
    stop = tail[-1]
    params = SamplingParams(temperature=0, max_tokens=n, stop=(stop,))
    assert forced.generate(ASK, params).text == tail[: tail.index(stop)]


# --- the openai backend --------------------------------------------------------------------------


def _upstream(pieces: list[str], finish: str) -> FastAPI:
    """An OpenAI-compatible server that answers with ``pieces`` (the last one cut mid-syllable)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        base = {"id": "chatcmpl-1", "created": 0, "model": "m"}
        if not body.get("stream"):
            return JSONResponse(
                {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "".join(pieces)},
                            "finish_reason": finish,
                        }
                    ],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 9, "total_tokens": 12},
                }
            )

        def events():
            for i, piece in enumerate(pieces):
                last = i == len(pieces) - 1
                choice = {"index": 0, "delta": {"content": piece}}
                choice["finish_reason"] = finish if last else None
                event = {**base, "object": "chat.completion.chunk", "choices": [choice]}
                yield f"data: {json.dumps(event, ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


@pytest.mark.parametrize("finish", ["length", "stop"])
def test_openai_backend_drops_the_broken_character_an_upstream_sent_at_a_cut(finish):
    pieces = ["경복", "궁은 서\ufffd"]
    with run_server(_upstream(pieces, finish)) as url:
        model = OpenAIChatModel("m", upstream_model="m", base_url=url + "/v1", api_key="k")
        params = SamplingParams(temperature=0, max_tokens=9)
        chunks = list(model.stream(ASK, params))
        assert model.generate(ASK, params).text == "경복궁은 서"
    assert "".join(c.text for c in chunks) == "경복궁은 서"
    assert all(REPLACEMENT not in c.text for c in chunks)
    assert chunks[-1].finish_reason == finish
