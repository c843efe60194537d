"""`draftbot check`: rule-driven review of a draft against its facts, plan and samples.

Each check kind is registered in its module (checks.registry; see docs/checks.md); the rules
themselves are data in data/rules/*.yaml. The one library entry point:

    from draftbot.checks import check_draft
    report = check_draft("草稿.md", facts="要点.md")   # .findings (sorted), .notes on skipped checks
"""

from draftbot.checks.finding import Finding

__all__ = ["Finding", "check_draft"]


def __getattr__(name: str):
    if name == "check_draft":
        from draftbot.checks import run

        return getattr(run, name)
    raise AttributeError(name)
