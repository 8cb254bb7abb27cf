"""Benchmark: synthetic marketplace generation time, throughput and peak memory.

Each size runs in a fresh child process so that its peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) is its own. The baseline is throughput:
rows of all eight tables generated per second, compared across sizes in the same run
(linear scaling keeps the ratio near 1).

Usage::

    python benchmarks/synthetic.py            # 10k users, pandas and polars output
    python benchmarks/synthetic.py --full     # 10k and 100k users (the issue's sizes)

The printed table is also written to ``benchmarks/results/synthetic.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from thinfile_credit.synthetic import make_marketplace
n, backend = int(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
mk = make_marketplace(n_users=n, seed=0, backend=backend)
seconds = time.perf_counter() - start
rows = {name: int(frame.shape[0]) for name, frame in mk.tables}
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"users": n, "backend": backend, "seconds": seconds, "rows": rows,
                  "rss_mb": rss_mb, "default_rate": mk.default_rate}))
"""


def run(n_users: int, backend: str) -> dict[str, object]:
    """Generate one marketplace in a child process and return its measurements."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n_users), backend],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also run 100k users")
    parser.add_argument("--repeats", type=int, default=1, help="runs per size (median kept)")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.full else [10_000]
    backends = ["pandas", "polars"]
    results = []
    for n in sizes:
        for backend in backends:
            runs = sorted(
                (run(n, backend) for _ in range(args.repeats)), key=lambda r: r["seconds"]
            )
            results.append(runs[len(runs) // 2])
    base = results[0]
    base_rate = sum(base["rows"].values()) / base["seconds"]  # type: ignore[union-attr,operator]
    lines = [
        f"# synthetic marketplace generation ({platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()})",
        "",
        "| users | output | seconds | rows (all tables) | rows / s | rows/s vs 10k pandas | "
        "peak RSS (MB) | orders | default rate |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        total = sum(r["rows"].values())  # type: ignore[union-attr]
        rate = total / r["seconds"]  # type: ignore[operator]
        lines.append(
            f"| {r['users']:,} | {r['backend']} | {r['seconds']:.2f} | {total:,} | {rate:,.0f} | "
            f"{rate / base_rate:.2f} | {r['rss_mb']:.0f} | {r['rows']['orders']:,} | "  # type: ignore[index]
            f"{r['default_rate']:.3f} |"
        )
    lines += ["", "Command: `python benchmarks/synthetic.py" + (" --full`" if args.full else "`")]
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).resolve().parent / "results" / "synthetic.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
