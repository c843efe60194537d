"""`draftbot check`: rule-driven review of a draft against its facts, plan and samples.

One module per rule kind (placeholders, formulations, grounding, leak, sections); the rules
themselves are data in data/rules/*.yaml. The library entry points:

    from draftbot.checks import run_checks, check_draft
    findings = run_checks("草稿.md", facts="要点.md")        # list[Finding], sorted
    report = check_draft(draft)                              # findings + notes on skipped checks
"""

from draftbot.checks.finding import Finding

__all__ = ["Finding", "check_draft", "run_checks"]


def __getattr__(name: str):
    if name in ("run_checks", "check_draft"):
        from draftbot.checks import run

        return getattr(run, name)
    raise AttributeError(name)
