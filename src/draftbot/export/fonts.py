"""Font names used by the Word export, configurable for machines without the GB2312 fonts."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from draftbot.errors import InputError


@dataclass(frozen=True)
class FontSet:
    """East Asian font names per role (GB/T 9704-2012 defaults).

    `latin` is the font for ASCII letters and digits; None uses the role's own font.
    """

    title: str = "方正小标宋简体"
    heading1: str = "黑体"
    heading2: str = "楷体"
    heading3: str = "仿宋_GB2312"
    body: str = "仿宋_GB2312"
    page_number: str = "宋体"
    comment: str = "宋体"
    latin: str | None = None


PRESETS: dict[str, FontSet] = {
    # The fonts offices install for 公文 (GB/T 9704-2012).
    "gb2312": FontSet(),
    # Fonts that ship with Windows itself (no 仿宋_GB2312, no 方正小标宋简体).
    "windows": FontSet(title="宋体", heading2="楷体", heading3="仿宋", body="仿宋"),
    # Fonts available on a Linux desktop with fonts-noto-cjk (LibreOffice, WPS for Linux).
    "noto": FontSet(
        title="Noto Serif CJK SC",
        heading1="Noto Sans CJK SC",
        heading2="Noto Serif CJK SC",
        heading3="Noto Serif CJK SC",
        body="Noto Serif CJK SC",
        page_number="Noto Serif CJK SC",
        comment="Noto Sans CJK SC",
    ),
}


def resolve_fonts(preset: str | None = None, overrides: list[str] | None = None) -> FontSet:
    """Return the preset's FontSet with `role=字体名` overrides applied."""
    name = (preset or "gb2312").strip().lower()
    if name not in PRESETS:
        raise InputError(
            f"未知的字体方案：{preset}",
            hint="可选：" + "、".join(PRESETS) + "；或用 --font body=仿宋 单独指定。",
        )
    fonts = PRESETS[name]
    changes: dict[str, str] = {}
    roles = {f.name for f in fields(FontSet)}
    for item in overrides or []:
        role, sep, value = item.partition("=")
        role, value = role.strip(), value.strip()
        if sep and value and role not in roles:
            raise InputError(
                f"--font {item}：没有“{role}”这个字体角色。",
                hint="角色可以是 " + "、".join(roles_sorted()) + "，例如 body=仿宋。",
            )
        if not sep or not value:
            raise InputError(
                f"字体设置格式不对：{item}",
                hint="写成 角色=字体名，角色可以是 " + "、".join(roles_sorted()) + "，例如 body=仿宋。",
            )
        changes[role] = value
    return replace(fonts, **changes)


def roles_sorted() -> list[str]:
    return [f.name for f in fields(FontSet)]
