"""Everyday sessions: ``nox -s tests lint typecheck docs bench``."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck", "docs"]


@nox.session
def tests(session: nox.Session) -> None:
    """Full test suite (Spark and real-data tests included when available)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "benchmarks", "examples", "docs")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "examples", "docs")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy on the package sources."""
    session.install("-e", ".[all]", "mypy>=1.11", "pandas-stubs")
    session.run("mypy", "src/thinfile_credit")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation strictly and execute every tutorial script."""
    session.install("-e", ".[docs]")
    session.run("python", "docs/run_tutorials.py")
    session.run("mkdocs", "build", "--strict")


@nox.session
def bench(session: nox.Session) -> None:
    """Run every benchmark at its small size (pass ``-- --full`` for the issue sizes)."""
    session.install("-e", ".[all]", "pandas<4")
    import pathlib

    for script in sorted(pathlib.Path("benchmarks").glob("*.py")):
        if script.name.startswith("_"):
            continue
        session.run("python", str(script), *session.posargs)
