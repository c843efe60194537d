"""Word export: GB/T 9704-2012 .docx from a draft, with check findings as comments.

Importing this package is cheap; python-docx is imported only by `docx_writer`.
"""
