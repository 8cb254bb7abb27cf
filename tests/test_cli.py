"""The ``thinfile-credit`` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit import __version__
from thinfile_credit import demo as demo_module
from thinfile_credit.cli import main
from thinfile_credit.errors import DataError, SpecError

DEMO = [sys.executable, "-m", "thinfile_credit.cli", "demo"]


def _demo(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run ``thinfile-credit demo ARGS`` in a child process, capturing its output."""
    return subprocess.run(
        [*DEMO, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


@pytest.mark.parametrize("argv", [["demo", "--users", "5"], ["demo", "--users", "many"], []])
def test_bad_arguments_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_bad_users_value_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--users", "many"])
    assert "--users: must be a whole number, got 'many'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seed", "-1", "argument --seed: must be at least 0, got -1"),
        ("--seed", "4294967296", "argument --seed: must be at most 4294967295, got 4294967296"),
        ("--seed", "1.5", "argument --seed: must be a whole number, got '1.5'"),
        ("--seed", "seven", "argument --seed: must be a whole number, got 'seven'"),
        ("--users", "99", "argument --users: must be at least 100, got 99"),
        ("--users", "1000001", "argument --users: must be at most 1000000, got 1000001"),
        ("--users", "10" * 20, "argument --users: must be at most 1000000"),
    ],
)
def test_numeric_options_out_of_range_are_usage_errors(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    message: str,
) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(demo_module, "run_demo", _fake_run(calls))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as info:
        main(["demo", option, value, "--out", str(out), "--quiet"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: thinfile-credit demo")
    last = err.strip().splitlines()[-1]
    assert last.startswith("thinfile-credit demo: error: ")
    assert message in last
    assert calls == []  # nothing ran
    assert not out.exists()


@pytest.mark.parametrize("seed", ["0", "4294967295"])
def test_seed_bounds_themselves_are_accepted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: str
) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(demo_module, "run_demo", _fake_run(calls))
    assert main(["demo", "--seed", seed, "--out", str(tmp_path), "--quiet"]) == 0
    assert calls[0]["seed"] == int(seed)


@given(seed=st.integers(-(2**70), 2**70))
def test_seed_is_accepted_exactly_in_its_range(seed: int) -> None:
    calls: list[dict[str, object]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo_module, "run_demo", _fake_run(calls))
        if 0 <= seed < 2**32:
            assert main(["demo", "--seed", str(seed), "--out", "unused", "--quiet"]) == 0
            assert calls[0]["seed"] == seed
        else:
            with pytest.raises(SystemExit) as info:
                main(["demo", "--seed", str(seed), "--out", "unused", "--quiet"])
            assert info.value.code == 2
            assert calls == []


def test_bad_seed_exits_2_in_a_real_process_and_leaves_no_folder(tmp_path: Path) -> None:
    for seed in ("-1", "4294967296"):
        out = tmp_path / f"out{seed}"
        proc = _demo("--users", "100", "--seed", seed, "--out", str(out), "--quiet", timeout=120)
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr
        assert (
            proc.stderr.strip()
            .splitlines()[-1]
            .startswith("thinfile-credit demo: error: argument --seed: must be")
        )
        assert not out.exists()


@pytest.mark.parametrize(
    ("n_users", "seed", "column"),
    [(150, -1, "seed"), (150, 2**32, "seed"), (0, 1, "n_users"), (150, 1.5, "seed")],
)
def test_run_demo_refuses_a_bad_config_before_writing(
    tmp_path: Path, n_users: int, seed: int, column: str
) -> None:
    out = tmp_path / "never"
    with pytest.raises(SpecError) as info:
        demo_module.run_demo(n_users=n_users, seed=seed, out=out, quiet=True)
    assert info.value.column == column
    assert not out.exists()


def _fake_run(calls: list[dict[str, object]]) -> object:
    def run_demo(**kwargs: object) -> dict[str, object]:
        calls.append(kwargs)
        return {"users": 150, "seed": 0, "tables": {"orders": 3}, "gbm_auc": 0.71234, "ok": True}

    return run_demo


def test_quiet_prints_only_the_final_summary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(demo_module, "run_demo", _fake_run(calls))
    assert main(["demo", "--users", "150", "--quiet", "--out", str(tmp_path / "o")]) == 0
    assert calls[0]["quiet"] is True
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines()[0] == "Summary"
    assert "users: 150" in out
    assert "gbm_auc: 0.7123" in out
    assert f"artefacts: {(tmp_path / 'o').resolve()}" in out
    assert "tables" not in out  # only single figures


def test_not_quiet_leaves_printing_to_the_demo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(demo_module, "run_demo", _fake_run(calls))
    assert main(["demo", "--users", "150", "--out", str(tmp_path)]) == 0
    assert calls[0]["quiet"] is False
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (DataError("no rows", table="orders"), "thinfile-credit: error: orders: no rows"),
        (PermissionError(13, "Permission denied"), "error: PermissionError: [Errno 13]"),
    ],
)
def test_run_errors_print_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    expected: str,
) -> None:
    def run_demo(**kwargs: object) -> None:
        raise error

    monkeypatch.setattr(demo_module, "run_demo", run_demo)
    assert main(["demo", "--users", "150", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1
    assert expected in err
    assert "Traceback" not in err


def test_out_naming_an_existing_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "not_a_dir"
    target.write_text("x")
    proc = _demo("--users", "100", "--quiet", "--out", str(target), timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"thinfile-credit: error: argument --out: {target} exists and is not a folder"
    )
    assert target.read_text() == "x"


@pytest.mark.slow
def test_demo_quiet_prints_the_summary_for_real(tmp_path: Path) -> None:
    proc = _demo("--users", "100", "--quiet", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    lines = proc.stdout.splitlines()
    assert lines[0] == "Summary"
    assert f"users: {summary['users']}" in lines
    assert "done in" not in proc.stdout  # no progress lines


@pytest.mark.slow
def test_demo_runs_the_whole_pipeline(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = _demo("--users", "2000", "--out", str(out))
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
