"""The ``thinfile-credit`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from thinfile_credit import __version__
from thinfile_credit.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


@pytest.mark.parametrize("argv", [["demo", "--users", "5"], ["demo", "--users", "many"], []])
def test_bad_arguments_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "thinfile_credit.cli", "demo", "--users", "2000", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    for heading in (
        "Marketplace",
        "Features:",
        "Scorecard (first lines)",
        "Out-of-time test",
        "principal reasons (zh)",
        "principal reasons (en)",
        "First limits",
        "Ladder simulation",
    ):
        assert heading in text
    assert "done in" in text  # progress is visible
    for name in ("applications", "orders", "bills", "loans", "installments", "edges", "profiles"):
        assert (out / "tables" / f"{name}.parquet").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["users"] == 2000
    assert 0.3 <= summary["thin_file_share"] <= 0.5
    assert 0.55 < summary["scorecard_auc"] <= 1.0
    assert 0.55 < summary["gbm_auc"] <= 1.0
    assert (out / "scorecard.sql").read_text().strip()
    # the JSON artefact reloads into a scorecard giving the same scores
    from thinfile_credit.scorecard import WoEScorecard

    card = WoEScorecard.from_json((out / "scorecard.json").read_text())
    assert card.scale_.base_score == 600.0


@pytest.mark.slow
def test_demo_is_deterministic(tmp_path: Path) -> None:
    from thinfile_credit.demo import run_demo

    a = run_demo(n_users=400, seed=3, out=tmp_path / "a", quiet=True)
    b = run_demo(n_users=400, seed=3, out=tmp_path / "b", quiet=True)
    assert a == b
    assert (tmp_path / "a" / "scorecard.json").read_text() == (
        tmp_path / "b" / "scorecard.json"
    ).read_text()
