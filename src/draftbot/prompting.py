"""Chat messages for the LLM engine, built for prefix caching.

Every section of one draft is one model call. The calls share a byte-identical prefix:

    system   the writer's rules                           (prompts/system.md)
    user     sample reports, the plan, all the facts      (prompts/context.md)
    assistant a fixed acknowledgement                     (prompts/ack.md)

and differ only in the final user message: which section, its facts, its required
formulations and target length (prompts/section.md, opening.md, closing.md). A targeted rewrite
(regen, repair) keeps the same prefix and adds to that last message only: the section's current
text, the findings to fix, the user's hint and the other sections as they now stand (revise.md).

Samples go in whole while they fit the token budget; beyond it the samples most like this
report are kept (same kind first, then by section overlap with the plan), long ones cut at
section boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from draftbot.engines.base import SectionRequest
from draftbot.facts import FactGroup, Facts
from draftbot.headings import chinese_number
from draftbot.plans import Plan, PlanSection
from draftbot.samples import Sample, SampleSection
from draftbot.tokens import count_message_tokens, count_tokens

DEFAULT_ANSWER_TOKENS = 4096
TAIL_ROOM = 2048  # tokens reserved for the per-section final message
META_LABELS = (
    ("title", "标题"),
    ("type", "类型"),
    ("author", "姓名"),
    ("unit", "单位"),
    ("position", "职务"),
    ("period", "报告期"),
    ("leader", "领导机关（开头写“在……的坚强领导下”）"),
)


@dataclass
class SampleUse:
    name: str
    sections: int  # top-level sections included
    total_sections: int
    tokens: int

    @property
    def whole(self) -> bool:
        return self.sections >= self.total_sections


@dataclass
class PromptSet:
    """The shared prefix plus one final message per section (keyed by section id)."""

    prefix: list[dict]
    tails: dict[str, dict]
    samples: list[SampleUse] = field(default_factory=list)
    dropped_samples: list[str] = field(default_factory=list)
    budget: int = 0
    samples_text: str = ""  # the sample block inside the shared prefix

    def messages(self, section_id: str) -> list[dict]:
        return [*self.prefix, self.tails[section_id]]

    def prefix_tokens(self) -> int:
        return count_message_tokens(self.prefix)

    def request_tokens(self, section_id: str) -> int:
        return count_message_tokens(self.messages(section_id))


# -- templates ---------------------------------------------------------------------------------


def templates_dir() -> Path:
    from draftbot.resources import prompts_dir

    return prompts_dir()


def render(name: str, folder: Path | None = None, **values) -> str:
    path = (folder or templates_dir()) / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        from draftbot.errors import ConfigError

        raise ConfigError(f"找不到提示词模板：{path}") from exc
    return Template(text).safe_substitute(values).strip()


# -- text blocks -------------------------------------------------------------------------------


def facts_text(facts: Facts) -> str:
    lines = [f"{label}：{facts.meta[key]}" for key, label in META_LABELS if facts.meta.get(key)]
    if facts.meta.get("unit") and facts.meta.get("position"):
        from draftbot.facts import role_phrase

        lines.append(f"开头的任职写法：本人任{role_phrase(facts.meta['unit'], facts.meta['position'])}")
    if lines:
        lines.append("")
    for group in facts.groups:
        lines.extend(_group_lines(group, 2))
    return "\n".join(lines).strip()


def groups_text(groups: list[FactGroup], default_points: list[str] | None = None) -> str:
    lines: list[str] = []
    for group in groups:
        lines.extend(_group_lines(group, 2))
    if lines:
        return "\n".join(lines).strip()
    text = "（本部分没有专门的事实要点，可结合全部事实概括，不得编造具体数字。"
    if default_points:
        text += "可参考的常见内容：" + "；".join(default_points) + "。"
    return text + "）"


def _group_lines(group: FactGroup, level: int) -> list[str]:
    lines = [f"{'#' * level} {group.heading}"] if group.heading else []
    lines.extend(f"- {fact.text}" for fact in group.facts)
    for sub in group.subgroups:
        lines.extend(_group_lines(sub, level + 1))
    return lines


def plan_text(plan: Plan) -> str:
    lines = [f"报告类型：{plan.name}（{plan.kind}）。{plan.description}".strip()]
    lines.append(f"开头段：{plan.opening.guidance}")
    for index, section in enumerate(plan.sections, start=1):
        lo, hi = section.length
        lines.append(f"{chinese_number(index)}、{section.heading}（{lo}～{hi} 字）：{section.guidance}")
    lines.append(f"结尾：{plan.closing.guidance}")
    return "\n".join(lines)


def sample_text(sample: Sample, n_sections: int | None = None) -> str:
    """The sample's opening and its first `n_sections` top-level sections (all when None)."""
    about = "，".join(v for v in (sample.kind, sample.meta.get("role"), sample.meta.get("period")) if v)
    sections = sample.sections if n_sections is None else sample.sections[:n_sections]
    cut = n_sections is not None and n_sections < len(sample.sections)
    name = f"《{sample.title}》" if sample.title else sample.name
    head = f"## 范文 {name}（{about}）{'（节选）' if cut else ''}"
    parts = [head, sample.opening, *(_section_text(s) for s in sections)]
    return "\n".join(p for p in parts if p)


def _section_text(section: SampleSection) -> str:
    """Top-level headings on their own line (as in a draft); sub-headings run into their body."""
    if section.level == 1:
        parts = [f"{section.number}、{section.heading}", section.body]
    else:
        number = f"（{section.number}）" if section.level == 2 else f"{section.number}."
        parts = [f"{number}{section.heading}。{section.body}".rstrip("。") + ("。" if section.body else "")]
    parts.extend(_section_text(c) for c in section.children)
    return "\n".join(p for p in parts if p)


# -- choosing samples within a budget ----------------------------------------------------------


def _overlap(sample: Sample, plan: Plan) -> int:
    """How many plan sections this sample has a section for (by heading words)."""
    headings = " ".join(s.heading + s.body[:60] for s in sample.sections)
    score = 0
    for section in plan.sections:
        words = [section.heading, *section.aliases, *section.keywords]
        if any(w and len(w) >= 2 and w in headings for w in words):
            score += 1
    return score


def rank_samples(samples: list[Sample], plan: Plan) -> list[Sample]:
    """Same kind as the plan first, then by section overlap; stable otherwise."""
    return sorted(samples, key=lambda s: (s.kind != plan.kind, -_overlap(s, plan)))


def choose_samples(
    samples: list[Sample], plan: Plan, budget: int
) -> tuple[list[str], list[SampleUse], list[str]]:
    """Sample texts that fit `budget` tokens, their use records, and the names left out."""
    whole = [(s, sample_text(s)) for s in samples]
    costs = [count_tokens(text) + 2 for _, text in whole]
    if sum(costs) <= budget:
        uses = [
            SampleUse(s.name, len(s.sections), len(s.sections), c)
            for (s, _), c in zip(whole, costs, strict=True)
        ]
        return [t for _, t in whole], uses, []
    texts, uses, dropped = [], [], []
    left = budget
    for sample in rank_samples(samples, plan):
        text, n, cost = _fit(sample, left)
        if text is None:
            dropped.append(sample.name)
            continue
        texts.append(text)
        uses.append(SampleUse(sample.name, n, len(sample.sections), cost))
        left -= cost
    return texts, uses, dropped


def _fit(sample: Sample, left: int) -> tuple[str | None, int, int]:
    """The longest section-boundary cut of `sample` that fits `left` tokens."""
    for n in range(len(sample.sections), 0, -1):
        text = sample_text(sample, n)
        cost = count_tokens(text) + 2
        if cost <= left:
            return text, n, cost
    return None, 0, 0


# -- the messages ------------------------------------------------------------------------------


def section_message(request: SectionRequest, folder: Path | None = None, room: int | None = None) -> str:
    """The final user message: the section's task, plus the rewrite block for a targeted rewrite
    (the other sections clipped to fit `room` tokens when given)."""
    base = task_message(request, folder)
    if not request.rewrite:
        return base
    return base + "\n\n" + revise_block(request, folder, room)


def revise_block(request: SectionRequest, folder: Path | None = None, room: int | None = None) -> str:
    fixes = [" ".join(f.split()) for f in request.fix]
    values = {
        "current": (request.current or "").strip() or "（不提供，请重新起草）",
        "fix": "\n".join(f"{i}. {f}" for i, f in enumerate(fixes, start=1)) or "（检查没有发现问题）",
        "hint": " ".join((request.hint or "").split()) or "无",
        "context": "",
        "scope": f"这次只重写本部分中的小标题“{request.sub_item}”这一项，本部分的其他内容不变。"
        if request.sub_item else "",
    }  # fmt: skip
    fixed = render("revise", folder, **values)
    if room is not None:
        room -= count_tokens(fixed)
    values["context"] = context_text(request.context, room)
    return render("revise", folder, **values)


def context_text(context: list[tuple[str, str]], room: int | None = None) -> str:
    """The other sections as 【heading】 + text; each text cut shorter until the whole fits `room`."""
    if not context:
        return "（无）"
    longest = max(len(text) for _, text in context)
    limit = longest
    while True:
        parts = [f"【{heading}】\n{_clip_text(text, limit)}" for heading, text in context]
        text = "\n\n".join(parts)
        if room is None or limit <= 20 or count_tokens(text) <= room:
            return text
        limit //= 2


def _clip_text(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "……（下略）"


def opening_example(template: str, facts=None) -> str:
    """A plan's opening sentence without its {intro}, with the facts' leadership (or the generic one)."""
    from draftbot.facts import leader_phrase

    return template.replace("{intro}", "").replace("{leader}", leader_phrase(facts.meta if facts else {}))


def task_message(request: SectionRequest, folder: Path | None = None) -> str:
    """Which section to write: the same for a first write and a rewrite."""
    section: PlanSection = request.section
    lo, hi = section.length
    values = {
        "number": request.number,
        "heading": request.heading or section.heading,
        "guidance": section.guidance or "按提纲要求写作。",
        "min_chars": lo,
        "max_chars": hi,
        "required": "、".join(f"“{r}”" for r in section.required) or "无",
        "facts": groups_text(request.facts, section.default_points),
        "example": opening_example(section.opening, getattr(request, "all_facts", None)) or "无",
    }
    template = {"opening": "opening", "closing": "closing"}.get(section.kind, "section")
    return render(template, folder, **values)


def build_prompts(
    requests: list[SectionRequest],
    *,
    context_tokens: int,
    answer_tokens: int = DEFAULT_ANSWER_TOKENS,
    folder: Path | None = None,
    tail_room: int = TAIL_ROOM,
) -> PromptSet:
    """Messages for every request of one draft (they share facts, plan and samples)."""
    first = requests[0]
    plan, facts = first.plan, first.all_facts
    system = render("system", folder, plan_name=plan.name, plan_kind=plan.kind)
    ack = render("ack", folder)
    tasks = {r.section.id: task_message(r, folder) for r in requests}
    fixed = render("context", folder, samples="", plan=plan_text(plan), facts=facts_text(facts))
    # A fixed room for the final message keeps the prefix the same whether one section or all
    # are requested, and whether it is a first write or a rewrite (regen and repair then hit the
    # same cache): the rewrite block is not counted here, it is fitted into what is left.
    tail_room = max([tail_room, *(count_tokens(t) for t in tasks.values())])
    overhead = count_tokens(system) + count_tokens(fixed) + count_tokens(ack) + tail_room + 20
    budget = max(0, context_tokens - answer_tokens - overhead)
    texts, uses, dropped = choose_samples(first.samples, plan, budget)
    samples_text = "\n\n".join(texts) or "（本次没有范文。）"
    context = render(
        "context",
        folder,
        samples=samples_text,
        plan=plan_text(plan),
        facts=facts_text(facts),
    )
    prefix = [
        {"role": "system", "content": system},
        {"role": "user", "content": context},
        {"role": "assistant", "content": ack},
    ]
    rewriting = any(r.rewrite for r in requests)
    left = context_tokens - answer_tokens - count_message_tokens(prefix) - 20 if rewriting else 0
    tails = {}
    for r in requests:
        content = tasks[r.section.id]
        if r.rewrite:
            room = max(0, left - count_tokens(content))
            content = section_message(r, folder, room)
        tails[r.section.id] = {"role": "user", "content": content}
    return PromptSet(prefix, tails, uses, dropped, budget, samples_text)


def naive_messages(request: SectionRequest, prompts: PromptSet) -> list[dict]:
    """The obvious design without a shared prefix, for the bench: the rules, then this section's
    own task and facts, then the same samples. No plan and no other sections' facts, but after
    the rules no two sections' prompts agree, so providers cache almost nothing."""
    task = prompts.tails[request.section.id]["content"]
    user = f"{task}\n\n参考范文（只学结构和写法）：\n\n{prompts.samples_text}"
    return [prompts.prefix[0], {"role": "user", "content": user}]


# -- dry run -----------------------------------------------------------------------------------


def dry_run_text(requests: list[SectionRequest], prompts: PromptSet) -> str:
    """Every message of a draft's model calls and their token counts, for `write --dry-run`."""
    from draftbot.tokens import UPPER_BOUND_NOTE

    prefix_tokens = prompts.prefix_tokens()
    out = [f"===== 共享前缀（每个部分的请求都以它开头，逐字节相同；约 {prefix_tokens} 词元）====="]
    for message in prompts.prefix:
        out += [f"----- {message['role']} -----", message["content"]]
    sizes = []
    for req in requests:
        size = prompts.request_tokens(req.section.id)
        sizes.append(size)
        name = {"opening": "开头", "closing": "结尾"}.get(req.section.kind, f"{req.number}、{req.heading}")
        out += [
            f"===== {name}：最后一条消息（本次请求共约 {size} 词元）=====",
            prompts.tails[req.section.id]["content"],
        ]
    total = sum(sizes)
    out.append("===== 词元估算 =====")
    out.append(f"请求数：{len(requests)}；共享前缀：{prefix_tokens}；每次请求：{min(sizes)}～{max(sizes)}")
    out.append(
        f"整篇输入：{total}，其中共享前缀占 {prefix_tokens * len(requests) / total:.0%}（可被服务商缓存）"
    )
    out.append(_samples_line(prompts))
    out.append(f"提示：{UPPER_BOUND_NOTE}")
    out.append("（--dry-run 只显示提示词，未调用模型，也未写入草稿。）")
    return "\n".join(out)


def _samples_line(prompts: PromptSet) -> str:
    used = [
        f"{u.name}{' 全文' if u.whole else f' 节选 {u.sections}/{u.total_sections} 部分'}"
        for u in prompts.samples
    ]
    line = f"范文（预算 {prompts.budget} 词元）：{'、'.join(used) or '无'}"
    if prompts.dropped_samples:
        line += f"；放不下未用：{'、'.join(prompts.dropped_samples)}"
    return line
