"""Execute every tutorial script under docs/tutorials (used by ``nox -s docs`` and CI)."""

from __future__ import annotations

import runpy
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted((HERE / "tutorials").glob("*.py"))
    for script in scripts:
        start = time.perf_counter()
        runpy.run_path(str(script), run_name="__main__")
        print(f"ok  {script.name}  {time.perf_counter() - start:.1f} s")
    print(f"{len(scripts)} tutorials executed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
