"""Scoring the detectors on labelled recordings: the runner and the report.

``runner`` runs each recording (and its time-reversed and gapped variants) through the
detectors and scores the events with ``analysis.evaluate``; ``report`` renders the scores
as markdown, a terminal table or JSON. Labels files are read by ``sensor.labels``.
"""

from sensor.evaluation.report import format_markdown, format_table, report_json
from sensor.evaluation.runner import (
    EvaluationOptions,
    evaluate_file,
    evaluate_files,
    evaluate_recording,
    expand_recordings,
)

__all__ = [
    "EvaluationOptions",
    "evaluate_file",
    "evaluate_files",
    "evaluate_recording",
    "expand_recordings",
    "format_markdown",
    "format_table",
    "report_json",
]
