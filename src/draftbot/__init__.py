"""draftbot: drafts and checks 述职报告 / 年度工作总结 from bullet facts."""

__version__ = "0.1.0"
