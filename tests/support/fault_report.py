"""The fault suite's table: one row per scenario, printed at the end of the run and written to a file."""

import os
from pathlib import Path

from common.config import ROOT

COLUMNS = (
    ("scenario", "scenario"),
    ("requests", "requests"),
    ("failed", "failed"),
    ("done_after_failed", "done after told failed"),
    ("saved_before_failure_told", "saved, answer lost"),
    ("without_event", "saved without event"),
    ("extra_events", "extra events on bus"),
    ("effect_twice", "effect applied twice"),
    ("exited", "services exited"),
    ("recover_seconds", "seconds to recover"),
    ("result", "result"),
)
ROWS = []
REPORT_PATH = Path(os.environ.get("FAULTS_REPORT", ROOT / "var" / "fault-suite.md"))


def add(row):
    ROWS.append(row)


def table():
    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.1f}"
        return str(value)

    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell(row.get(key)) for key, _ in COLUMNS) + " |" for row in ROWS]
    return "\n".join(lines) + "\n"


def write():
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(table())
    return REPORT_PATH
