"""The README's set-up commands and quickstart stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    commands = [b.strip() for b in _blocks("bash")][:2]
    assert len(commands) == 2
    assert commands[0].endswith("thinfile-credit demo")
    assert "pytest" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    # .ci/run runs the README's test command verbatim after creating the venv.
    assert commands[1].split("&& ", 2)[-1] in ci


@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (code,) = _blocks("python")
    exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
