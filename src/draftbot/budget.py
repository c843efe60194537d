"""Token budgets: each section's answer cap from its planned length, and a prompt that fits the window.

All sizes the server sees are in *server tokens*. The prompt is built and counted with the offline
cl100k encoding; `ratio` converts (server tokens per cl100k token). It is measured with the
server's own tokenizer where the server offers one, assumed with a safety margin for a local
server that does not, and 1.0 for the cloud presets (whose tokenizers are denser on Chinese than
cl100k, so the estimate errs on the safe side there).

The answer reserve, the caps and the sample budget depend on the plan, never on which sections
are requested, so `write` and `regen` of one draft build the same shared prefix.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from draftbot.engines.base import SectionRequest
from draftbot.errors import ConfigError
from draftbot.plans import Plan, PlanSection
from draftbot.prompting import TAIL_ROOM, PromptSet, build_prompts

CL100K_PER_CHAR = 1.25  # cl100k tokens per Chinese character (the built-in samples: 1.19-1.25)
CAP_HEADROOM = 1.5  # an answer may run this far past its section's longest planned length
CAP_EXTRA = 64  # plus a few tokens for the ending
MAX_RESERVE_SHARE = 0.5  # the answer reserve never takes more than this share of the window
LOCAL_MARGIN = 1.6  # a local model's tokens per cl100k token when its server cannot count them
OVER_RANGE = 2.0  # an answer this many times its section's longest length is a runaway
OVER_RANGE_MIN = 150  # ... and at least this many characters over it
SAFETY = 16  # tokens left free between prompt + cap and the window
MAX_CAP = 16384  # no section needs more (a plan without lengths would otherwise ask for 190k)

Counter_ = Callable[[list[dict]], int | None]  # messages -> the server's token count


def chars_to_tokens(chars: int, ratio: float = 1.0) -> int:
    """Server tokens for `chars` Chinese characters."""
    return math.ceil(chars * CL100K_PER_CHAR * ratio)


def section_cap(section: PlanSection, ratio: float = 1.0) -> int:
    """The answer cap for a section: its longest planned length with headroom, in server tokens."""
    return min(MAX_CAP, math.ceil(section.length[1] * CL100K_PER_CHAR * CAP_HEADROOM * ratio) + CAP_EXTRA)


def plan_caps(plan: Plan, ratio: float = 1.0, explicit: int | None = None) -> dict[str, int]:
    """Section id -> answer cap (server tokens); a configured max_output_tokens applies to all."""
    return {s.id: explicit or section_cap(s, ratio) for s in plan.all_sections()}


def answer_reserve(plan: Plan, context: int, ratio: float = 1.0, explicit: int | None = None) -> int:
    """Tokens kept free for the answer when budgeting the shared prompt (plan-wide)."""
    if explicit:
        return explicit
    return min(max(plan_caps(plan, ratio).values()), int(context * MAX_RESERVE_SHARE))


def min_answer(plan: Plan, ratio: float = 1.0) -> int:
    """The smallest useful answer room: the longest section's *shortest* planned length."""
    return chars_to_tokens(max(s.length[0] for s in plan.all_sections()), ratio) + CAP_EXTRA


# -- checking an answer ------------------------------------------------------------------------


def over_range(text: str, section: PlanSection) -> bool:
    """Far more characters than the section's longest planned length (a runaway answer)."""
    hi = section.length[1]
    return hi > 0 and len(text) > max(hi * OVER_RANGE, hi + OVER_RANGE_MIN)


def is_degenerate(text: str) -> bool:
    """A long answer that mostly repeats itself: one line many times, or text that compresses away."""
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) >= 8]
    if lines and Counter(lines).most_common(1)[0][1] >= 3:
        return True
    data = text.encode("utf-8")
    return len(data) >= 600 and len(zlib.compress(data, 9)) < len(data) * 0.12


# -- fitting the prompt ------------------------------------------------------------------------


@dataclass
class Fit:
    """The prompts of one draft, sized for a window, and each section's answer cap."""

    prompts: PromptSet
    context: int  # the window, server tokens
    ratio: float  # server tokens per cl100k token (measured, assumed or 1.0)
    counted: bool  # the longest request was counted by the server's tokenizer
    caps: dict[str, int] = field(default_factory=dict)  # section id -> answer cap, server tokens
    request_tokens: dict[str, int] = field(default_factory=dict)  # section id -> prompt, server tokens
    cl100k_tokens: dict[str, int] = field(default_factory=dict)  # section id -> prompt, cl100k

    def longest(self) -> str:
        return max(self.request_tokens, key=self.request_tokens.get)


class ContextTooSmall(ConfigError):
    """The window cannot hold the instructions and facts plus a minimal answer."""


def fit_prompts(
    requests: list[SectionRequest],
    *,
    context: int,
    explicit_cap: int | None = None,
    ratio: float = 1.0,
    counter: Counter_ | None = None,
    what: str = "flag",
) -> Fit:
    """Build prompts whose every request plus its answer cap fits `context` server tokens.

    With `counter` (the server's tokenizer) the longest request is counted, the ratio corrected
    and the prompts rebuilt until they fit; without it `ratio` is trusted as given. `what` says
    where the window came from ("server", or "flag": --context-tokens or the configuration), for
    the fix a refusal suggests.
    """
    plan = requests[0].plan
    counted = False
    fit = _build(requests, context, ratio, explicit_cap, what)
    for _ in range(4):
        if counter is None:
            break
        longest = max(fit.cl100k_tokens, key=fit.cl100k_tokens.get)
        measured = counter(fit.prompts.messages(longest))
        if not measured:
            break
        counted = True
        real = measured / max(1, fit.cl100k_tokens[longest])
        reserve = answer_reserve(plan, context, real, explicit_cap)
        fits = measured + reserve + SAFETY <= context
        underused = real < fit.ratio * 0.9 and bool(fit.prompts.dropped_samples)
        if fits and not underused:
            fit = _build(requests, context, real, explicit_cap, what, prompts=fit.prompts)
            fit.request_tokens[longest] = measured
            break
        fit = _build(requests, context, real * (1.0 if fits else 1.03), explicit_cap, what)
    fit.counted = counted
    return fit


def _build(requests, context, ratio, explicit_cap, what, prompts: PromptSet | None = None) -> Fit:
    plan = requests[0].plan
    reserve = answer_reserve(plan, context, ratio, explicit_cap)
    if prompts is None:
        prompts = build_prompts(
            requests,
            context_tokens=int(context / ratio),
            answer_tokens=math.ceil(reserve / ratio),
            tail_room=min(TAIL_ROOM, context // 8),
        )
    cl = {sid: prompts.request_tokens(sid) for sid in prompts.tails}
    est = {sid: math.ceil(n * ratio) for sid, n in cl.items()}
    _refuse_if_too_small(plan, prompts, context, ratio, explicit_cap, max(est.values()), what)
    caps = plan_caps(plan, ratio, explicit_cap)
    fitted = {sid: max(1, min(caps[sid], context - est[sid] - SAFETY)) for sid in cl}
    return Fit(prompts, context, ratio, False, fitted, est, cl)


def _refuse_if_too_small(plan, prompts, context, ratio, explicit_cap, largest, what) -> None:
    """No room for even the instructions and facts plus a minimal answer: say so with the sizes."""
    need = explicit_cap or min_answer(plan, ratio)
    without_samples = largest - (0 if not prompts.samples else math.ceil(_sample_tokens(prompts) * ratio))
    if without_samples + need + SAFETY <= context:
        return
    room = "回答预留（max_output_tokens）" if explicit_cap else "最长一部分的回答"
    minimum = without_samples + need + SAFETY
    target = _round_up(minimum)
    servers = (
        f"llama.cpp：-c {target}；llama-cpp-python：--n_ctx {target}；vLLM：--max-model-len {target}；"
        f"Ollama：OLLAMA_CONTEXT_LENGTH={target}"
    )
    if what == "server":
        fix = f"请把模型服务的上下文加大到至少 {target} 词元（{servers}），或换用更短的事实文件。"
    else:
        fix = f"请把 --context-tokens 设为至少 {target}，并确认模型服务的上下文不小于它（{servers}）。"
    raise ContextTooSmall(
        f"上下文窗口 {context} 词元放不下本次请求：提示词（不含范文）约 {without_samples} 词元，"
        f"{room}至少 {need} 词元，合计约需 {minimum} 词元。",
        hint=fix,
    )


def _sample_tokens(prompts: PromptSet) -> int:
    return sum(use.tokens for use in prompts.samples)


def _round_up(tokens: int) -> int:
    return math.ceil(tokens / 1024) * 1024


def caps_line(fit: Fit) -> str:
    """The window and answer caps, for `write --dry-run`."""
    caps = fit.caps.values()
    return (
        f"上下文窗口 {fit.context} 词元；每部分的回答上限 {min(caps)}～{max(caps)} 词元"
        "（按提纲字数估算，设置 max_output_tokens 时统一用它）。"
    )
