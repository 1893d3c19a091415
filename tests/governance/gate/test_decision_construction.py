"""A Decision is built only inside governance/gate; nothing else constructs one."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SKIP = {".venv", ".git", "tests", "var", "node_modules", "__pycache__"}


def test_decision_is_constructed_only_in_the_gate():
    offenders = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if SKIP & set(parts) or parts[:2] == ("governance", "gate"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"(?<![\w.])Decision\(", text) or re.search(r"\bdecision\.Decision\(", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_search_would_find_a_construction(tmp_path):
    sample = "from governance.gate.decision import Decision\nx = Decision(allowed=True)\n"
    assert re.search(r"(?<![\w.])Decision\(", sample)
