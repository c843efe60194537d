"""`draftbot check`: rule-driven review of a draft against its facts, plan and samples.

One module per rule kind; the rules themselves are data in data/rules/*.yaml.
"""

from draftbot.checks.finding import Finding

__all__ = ["Finding"]
