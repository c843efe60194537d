"""The loopback server itself, driven by the real openai client and langchain's ChatOpenAI."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from fake_openai import FakeOpenAI, Reply, make_usage

KEY = "sk-test-fake-0000"


def client(srv: FakeOpenAI, **kw) -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.base_url, api_key=KEY, max_retries=0, timeout=5, **kw)


def chat(srv, **kw):
    return ChatOpenAI(base_url=srv.base_url, api_key=KEY, model="fake-model", max_retries=0, timeout=5, **kw)


MSG = [{"role": "user", "content": "你好"}]


def test_models_endpoint(fake_openai):
    ids = [m.id for m in client(fake_openai).models.list()]
    assert ids == ["fake-model"]


def test_non_streaming_reply_and_record(fake_openai):
    fake_openai.enqueue("第一条", "第二条")
    c = client(fake_openai)
    r1 = c.chat.completions.create(model="m", messages=MSG)
    r2 = c.chat.completions.create(model="m", messages=MSG)
    assert [r1.choices[0].message.content, r2.choices[0].message.content] == ["第一条", "第二条"]
    assert r1.choices[0].finish_reason == "stop"
    rec = fake_openai.chat_requests[0]
    assert rec.body["messages"] == MSG
    assert rec.headers["authorization"] == f"Bearer {KEY}"
    assert r1.usage.prompt_tokens > 0 and r1.usage.completion_tokens > 0


def test_streaming_with_usage_chunk(fake_openai):
    fake_openai.enqueue("一二三四五六七")
    stream = client(fake_openai).chat.completions.create(
        model="m", messages=MSG, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "一二三四五六七"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_rules_give_concurrent_requests_deterministic_replies():
    with FakeOpenAI(responder=lambda body: "答：" + body["messages"][-1]["content"]) as srv:
        srv.on("乙", "乙的专用回答")
        out = {}

        def ask(q):
            out[q] = (
                client(srv)
                .chat.completions.create(model="m", messages=[{"role": "user", "content": q}])
                .choices[0]
                .message.content
            )

        threads = [threading.Thread(target=ask, args=(q,)) for q in ("甲", "乙", "丙")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert out == {"甲": "答：甲", "乙": "乙的专用回答", "丙": "答：丙"}


def test_max_in_flight_is_tracked():
    with FakeOpenAI(default=Reply(content="好", delay=0.5)) as srv:
        clients = [client(srv) for _ in range(3)]  # made up front: creating one takes a while
        threads = [
            threading.Thread(target=lambda c=c: c.chat.completions.create(model="m", messages=MSG))
            for c in clients
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = time.monotonic() + 2
        while srv.in_flight and time.monotonic() < deadline:  # the server finishes after the client
            time.sleep(0.01)
        assert srv.max_in_flight == 3 and srv.in_flight == 0


@pytest.mark.parametrize("status", [429, 500, 503])
def test_error_status_and_retry_after(fake_openai, status):
    fake_openai.enqueue(Reply.error(status, retry_after=2))
    with pytest.raises(openai.APIStatusError) as err:
        client(fake_openai).chat.completions.create(model="m", messages=MSG)
    assert err.value.status_code == status
    assert err.value.response.headers["Retry-After"] == "2"


def test_dropped_stream_is_a_transport_error(fake_openai):
    fake_openai.enqueue(Reply.drop(after=2))
    stream = client(fake_openai).chat.completions.create(model="m", messages=MSG, stream=True)
    got = []
    with pytest.raises((httpx.RemoteProtocolError, openai.APIConnectionError)):
        for c in stream:
            got.append(c.choices[0].delta.content if c.choices else "")
    assert "".join(x or "" for x in got) == "这是一段"


def test_dropped_non_streaming_request(fake_openai):
    fake_openai.enqueue(Reply.drop())
    with pytest.raises(openai.APIConnectionError):
        client(fake_openai).chat.completions.create(model="m", messages=MSG)


def test_malformed_json(fake_openai):
    fake_openai.enqueue(Reply.bad_json())
    resp = httpx.post(f"{fake_openai.base_url}/chat/completions", json={"model": "m", "messages": MSG})
    with pytest.raises(json.JSONDecodeError):
        resp.json()


def test_empty_and_content_filter(fake_openai):
    fake_openai.enqueue(Reply.empty(), Reply.filtered())
    c = client(fake_openai)
    r1 = c.chat.completions.create(model="m", messages=MSG)
    r2 = c.chat.completions.create(model="m", messages=MSG)
    assert r1.choices[0].message.content == ""
    assert r2.choices[0].finish_reason == "content_filter"


def test_wrong_key_is_401():
    with FakeOpenAI(api_key="sk-right") as srv:
        with pytest.raises(openai.AuthenticationError):
            client(srv).chat.completions.create(model="m", messages=MSG)


@pytest.mark.parametrize(
    "shape,field",
    [("openai", "prompt_tokens_details"), ("deepseek", "prompt_cache_hit_tokens"), ("kimi", "cached_tokens")],
)
def test_usage_shapes_and_prefix_cache(shape, field):
    long_prefix = "规则：" + "只使用事实中的数字。" * 40
    with FakeOpenAI(usage_shape=shape, prefix_cache=True) as srv:
        c = client(srv)
        for tail in ("写第一节", "写第二节"):
            msgs = [{"role": "system", "content": long_prefix}, {"role": "user", "content": tail}]
            c.chat.completions.create(model="m", messages=msgs)
        first, second = (r.usage for r in srv.chat_requests)
    assert field in second
    cached = lambda u: (  # noqa: E731
        u.get("prompt_tokens_details", {}).get("cached_tokens")
        or u.get("prompt_cache_hit_tokens")
        or u.get("cached_tokens")
        or 0
    )
    assert cached(first) == 0
    assert 0.8 * second["prompt_tokens"] < cached(second) < second["prompt_tokens"]


def test_make_usage_shapes():
    assert make_usage("deepseek", 10, 2, 4)["prompt_cache_miss_tokens"] == 6
    assert make_usage("kimi", 10, 2, 4)["cached_tokens"] == 4
    assert make_usage("glm", 10, 2, 4)["prompt_tokens_details"] == {"cached_tokens": 4}


def test_slow_stream_paces_chunks():
    with FakeOpenAI(chunks_per_second=50, chunk_chars=1) as srv:
        srv.enqueue("一二三四五六七八九十")
        start = time.monotonic()
        stream = client(srv).chat.completions.create(model="m", messages=MSG, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        elapsed = time.monotonic() - start
    assert text == "一二三四五六七八九十"
    assert elapsed >= 10 / 50 * 0.95  # a lower bound: load can only make it slower


def test_chatopenai_invoke_and_stream(fake_openai):
    fake_openai.enqueue("非流式回答", "流式回答内容")
    llm = chat(fake_openai)
    msg = llm.invoke("你好")
    assert msg.content == "非流式回答"
    assert msg.response_metadata["token_usage"]["prompt_tokens"] > 0

    async def run():
        parts, usage = [], None
        async for chunk in chat(fake_openai, stream_usage=True).astream("你好"):
            parts.append(chunk.content)
            usage = chunk.usage_metadata or usage
        return "".join(parts), usage

    text, usage = asyncio.run(run())
    assert text == "流式回答内容" and usage["output_tokens"] > 0
    assert fake_openai.chat_requests[-1].body["stream_options"] == {"include_usage": True}


def test_network_beyond_loopback_is_blocked():
    import socket

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1, never routable
    with pytest.raises(openai.APIConnectionError):
        openai.OpenAI(base_url="http://192.0.2.1/v1", api_key=KEY, max_retries=0, timeout=2).models.list()
