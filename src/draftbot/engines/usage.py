"""Token usage: reading any server's usage object, estimating when there is none, and summing.

A usage record is a dict {input, cached, output[, estimated]}: `cached` None means unknown (the
server did not say), `estimated` that draftbot counted the tokens itself (the server sent no
usage). Totals keep both marks, so nothing unknown is ever shown as a measured zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Where servers put the cached share of the prompt (first found wins); see data/providers.toml.
CACHED_FIELDS = ("prompt_tokens_details.cached_tokens", "prompt_cache_hit_tokens", "cached_tokens")


def _field(raw: dict, path: str):
    value = raw
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def normalise_usage(raw: dict | None, cached_fields: tuple[str, ...] = CACHED_FIELDS) -> dict:
    """{input, cached, output} from any provider's usage object (or langchain usage_metadata).

    OpenAI, Qwen, GLM: prompt_tokens_details.cached_tokens; DeepSeek: prompt_cache_hit_tokens;
    Kimi: top-level cached_tokens.
    """
    raw = raw or {}
    if "input_tokens" in raw and "prompt_tokens" not in raw:  # langchain UsageMetadata
        details = raw.get("input_token_details") or {}
        return {
            "input": raw["input_tokens"],
            "cached": details.get("cache_read") or 0,
            "output": raw.get("output_tokens", 0),
        }
    cached = next((v for v in (_field(raw, f) for f in cached_fields) if v), 0)
    prompt = raw.get("prompt_tokens")
    if prompt is None and "prompt_cache_miss_tokens" in raw:
        prompt = raw["prompt_cache_miss_tokens"] + cached
    return {
        "input": int(prompt or 0),
        "cached": int(cached),
        "output": int(raw.get("completion_tokens") or 0),
    }


def estimate_usage(prompt_tokens: int, answer: str, ratio: float = 1.0) -> dict:
    """Usage for a server that reported none: labelled an estimate; the cached share is unknown."""
    from draftbot.tokens import count_tokens

    output = math.ceil(count_tokens(answer) * ratio) if answer else 0
    return {"input": prompt_tokens, "cached": None, "output": output, "estimated": True}


def add_usage(total: dict | None, usage: dict) -> dict:
    """Two usage records summed (a section's attempts); unknown stays unknown, estimates marked."""
    if total is None:
        return dict(usage)
    cached = None if total.get("cached") is None or usage.get("cached") is None else total["cached"] + usage["cached"]
    summed = {
        "input": total.get("input", 0) + usage.get("input", 0),
        "cached": cached,
        "output": total.get("output", 0) + usage.get("output", 0),
    }
    if total.get("estimated") or usage.get("estimated"):
        summed["estimated"] = True
    return summed


@dataclass
class UsageTotals:
    input: int = 0
    cached: int = 0
    output: int = 0
    estimated: bool = False  # some request's usage is an estimate (the server sent none)
    cached_unknown: bool = False  # some request's cached share is unknown
    sections: int = 0  # usage records added (none: nothing to report, not zero)
    requests: int = 0  # requests sent, counted or not
    uncounted: int = 0  # requests whose tokens nobody knows (failed before any answer, no usage)

    def add(self, usage: dict) -> None:
        self.sections += 1
        self.input += usage.get("input", 0)
        self.output += usage.get("output", 0)
        if usage.get("cached") is None:
            self.cached_unknown = True
        else:
            self.cached += usage["cached"]
        self.estimated = self.estimated or bool(usage.get("estimated"))

    def merge(self, other: UsageTotals) -> None:
        self.input += other.input
        self.cached += other.cached
        self.output += other.output
        self.estimated = self.estimated or other.estimated
        self.cached_unknown = self.cached_unknown or other.cached_unknown
        self.sections += other.sections
        self.requests += other.requests
        self.uncounted += other.uncounted

    def cost(self, prices) -> float | None:
        return None if prices is None else prices.cost(self.input, self.cached, self.output)

    def as_dict(self) -> dict:
        """For manifests and summaries: cached None when unknown."""
        return {"input": self.input, "cached": None if self.cached_unknown else self.cached, "output": self.output}


def usage_cells(usage: dict) -> list[str]:
    """input, cached, output as shown: "≈" marks an estimate, "?" an unknown."""
    mark = "≈" if usage.get("estimated") else ""
    cached = "?" if usage.get("cached") is None else str(usage["cached"])
    return [f"{mark}{usage['input']}", cached, f"{mark}{usage['output']}"]


def totals_cells(totals: UsageTotals) -> str:
    if not totals.sections:
        return "无（没有写成的部分）"
    mark = "≈" if totals.estimated else ""
    if totals.cached_unknown:
        return f"{mark}{totals.input} / ? / {mark}{totals.output}"
    share = f"{totals.cached / totals.input:.0%}" if totals.input else "0%"
    return f"{mark}{totals.input} / {totals.cached}（{share}）/ {mark}{totals.output}"
