"""Reports of an analysis: tables as row builders (read by JSON, CSV and terminal alike) and figures.

:mod:`harness.report.tables` builds every table once; :mod:`harness.report.summary` assembles the
``--json`` document and headline; :mod:`harness.report.terminal` prints; :mod:`harness.report.output`
writes CSV files and :mod:`harness.report.figures` the PNG figures.
"""
