"""Default ladder vs searched ladder vs MDP policy on the synthetic marketplace.

Prints (and saves to benchmarks/results/limits_policies.md) 12-month profit, loss rate
and the thin-file share reaching a ¥500 limit for each policy, with the closing note.

    python benchmarks/limits_policies.py            # 20k users
    python benchmarks/limits_policies.py --full     # 60k users

The population comes from ``thinfile_credit.synthetic.make_marketplace`` (one account
per application, ``true_pd`` as the 12-month PD, ``capacity`` as monthly spend). Scores
stand in for a fitted scorer: the true log-odds plus N(0, 0.5) noise on the default
score scale. Without the synthetic package a seeded ``make_population`` is used.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from thinfile_credit.limits import compare_policies, make_population, population_from_marketplace


def markdown_table(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    rows += ["| " + " | ".join(str(v) for v in r) + " |" for r in frame.itertuples(index=False)]
    return "\n".join(rows)


def build_population(n_users: int, seed: int) -> tuple[pd.DataFrame, str]:
    try:
        from thinfile_credit.synthetic import make_marketplace
    except ImportError:  # pragma: no cover - only before the synthetic package exists
        return make_population(n_users, random_state=seed), f"make_population({n_users})"
    mk = make_marketplace(n_users=n_users, seed=seed)
    pop = population_from_marketplace(mk, random_state=seed)
    return pop, f"make_marketplace(n_users={n_users}, seed={seed})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="60k users instead of 20k")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n_users = 60_000 if args.full else 20_000
    t0 = time.perf_counter()
    pop, source = build_population(n_users, args.seed)
    t_pop = time.perf_counter() - t0
    t0 = time.perf_counter()
    cmp = compare_policies(pop, months=12, random_state=args.seed)
    t_cmp = time.perf_counter() - t0
    table = cmp.table.copy()
    show = pd.DataFrame(
        {
            "policy": table["policy"],
            "12m profit (¥)": table["profit"].map("{:,.0f}".format),
            "Δ profit vs default (¥)": table["profit_vs_default"].map("{:+,.0f}".format),
            "loss rate": table["loss_rate"].map("{:.2%}".format),
            "Δ loss rate": table["loss_rate_vs_default"].map("{:+.2%}".format),
            "thin-file share ≥ ¥500": table["thin_file_share_500"].map("{:.1%}".format),
            "approval rate": table["approval_rate"].map("{:.1%}".format),
            "beats default": table["beats_default"],
        }
    )
    lines = [
        "# Limit policies on the synthetic marketplace",
        "",
        f"Population: {source} → {len(pop):,} accounts "
        f"({pop['thin_file'].mean():.1%} thin-file, mean true PD {pop['true_pd'].mean():.3f}); "
        f"built in {t_pop:.1f} s.",
        f"Comparison (tuning on seed {args.seed}, evaluation averaged over 3 fresh seeds): "
        f"{t_cmp:.1f} s on this machine.",
        "",
        markdown_table(show),
        "",
        "Closing note:",
        "",
        *[f"- {line}" for line in cmp.note.splitlines()],
        "",
        "Loss rate = (charge-offs + allowance on the delinquent pipeline at month 12) / average "
        "drawn balance, annualised. Profit = interest revenue − funding − servicing − "
        "charge-offs − change in allowance.",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).resolve().parent / "results" / "limits_policies.md"
    out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
