"""The source of a per-source kernel of :mod:`._fused`.

:class:`_Generator` writes one numba module per source: ``pack`` (the event table's
columns as one record per row) and ``kernel`` (for each application: the ``over``
windows, every row expression and aggregate in one pass over its rows, then the
features that read only this source's aggregates).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from thinfile_credit.features._expr import Expr, Unsupported
from thinfile_credit.features._fused_nodes import (
    _Body,
    _both,
    _Column,
    _number,
    _Val,
)
from thinfile_credit.features._plan import SourcePlan

_INT_MIN = -(2**63)


@functools.cache
def _helpers_digest() -> str:
    """Digest of the modules compiled into every kernel (their helpers are inlined)."""
    from thinfile_credit.features import _fused_kernels, _segment_kernels

    digest = hashlib.sha256()
    for module in (_fused_kernels, _segment_kernels):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class _Acc:
    """Accumulators of one (value, mask) pair."""

    n: int
    value: _Val
    mask: _Val | None
    kinds: set[str] = field(default_factory=set)
    slot: int = -1  # row of the ordered-values buffer


class _Generator:
    def __init__(self, kinds: dict[str, _Column]) -> None:
        self.kinds = kinds
        self.columns: list[_Column] = []
        self.literals: list[tuple[str, str]] = []
        self.counter = 0
        self.bys: list[tuple[str, ...]] = []
        self.overs: list[tuple[str, int, Expr]] = []  # kind, by slot, inner value
        self.agg_vars: dict[str, int] = {}  # agg key -> its variable a{j}

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def column(self, name: str) -> _Column:
        if name not in self.kinds:
            raise Unsupported(f"column {name!r}")
        col = self.kinds[name]
        if col not in self.columns:
            self.columns.append(col)
        return col

    def literal(self, column: str, text: str) -> int:
        if (column, text) not in self.literals:
            self.literals.append((column, text))
        return self.literals.index((column, text))

    def over_value(self, e: Expr) -> _Val:
        kind, value, by = e.args
        if kind not in ("sum", "max") or len(by) > 1:
            raise Unsupported(f"over {kind} by {by}")
        for b in by:
            if self.column(b).kind not in ("c", "i"):
                raise Unsupported(f"over by {b}")
        if by not in self.bys:
            self.bys.append(by)
        entry = (kind, self.bys.index(by), value)
        if entry not in self.overs:
            self.overs.append(entry)
        o = self.overs.index(entry)
        g = f"grp{entry[1]}[i - lo]" if by else "0"
        ok = "True" if kind == "sum" else f"seen{o}[{g}]"
        return _Val(f"acc{o}[{g}]", ok, "f")

    def kernel(
        self, sp: SourcePlan, kept: list[str], features: dict[str, Expr]
    ) -> tuple[list[str], list[_Column], list[tuple[str, str]], str]:
        """Output names, columns read, text literals and the module source."""
        main = _Body(self, " " * 12)
        pairs: dict[tuple[str, str], _Acc] = {}
        outputs: list[tuple[str, str, tuple[str, str]]] = []
        for name, node in sp.aggs.items():
            kind, _source, value, mask = node.args
            v = main.node(value)
            m = None if mask is None else main._bool(main.node(mask))
            if v.typ.startswith("c:") and kind not in ("count", "nunique"):
                raise Unsupported(f"{kind} of text")
            if v.typ == "s":
                raise Unsupported("aggregate of a literal text")
            pair = (value.key, "" if mask is None else mask.key)
            if pair not in pairs:
                pairs[pair] = _Acc(len(pairs), v, m)
            pairs[pair].kinds.add(kind)
            outputs.append((name, kind, pair))
        n_buf = 0
        for acc in pairs.values():
            if acc.kinds & {"median", "nunique"}:
                acc.slot = n_buf
                n_buf += 1
        self.agg_vars = {sp.aggs[name].key: j for j, (name, _, _) in enumerate(outputs)}
        post = _Body(self, " " * 8, post=True)
        results = [(f"a{self.agg_vars[sp.aggs[name].key]}", "True") for name in kept]
        for expr in features.values():
            x = post.node(expr)
            if x.typ.startswith("c:"):
                raise Unsupported("a feature of text")
            code, _present = _number(x)  # a NaN feature stays NaN: only validity matters
            results.append((code, x.ok))
        source = self._source(main, pairs, outputs, n_buf, post, results)
        return kept + list(features), self.columns, self.literals, source

    def _source(
        self,
        main: _Body,
        pairs: dict[tuple[str, str], _Acc],
        outputs: list[tuple[str, str, tuple[str, str]]],
        n_buf: int,
        post: _Body,
        results: list[tuple[str, str]],
    ) -> str:
        # the over passes are generated after the main body registered them
        over_lines = self._over_lines()
        n_cols = len(self.columns)
        columns = [f"c{j}" for j in range(n_cols)]
        columns += [f"k{j}" for j, c in enumerate(self.columns) if c.nullable]
        args = ", ".join(
            ["at", "starts", "rows", "tq", "L", "longest"]
            + [f"o{j}" for j in range(len(results))]
            + ["P"]
        )
        lines = [
            # numba's cache does not see changes to the helpers a kernel calls: their
            # digest in the source gives a new file (and a fresh compile) when they change
            f"# helpers {_helpers_digest()}",
            "import numba",
            "import numpy as np",
            "from thinfile_credit.features import _fused_kernels as _fk",
            "",
            "",
            "@numba.njit(cache=True, nogil=True)",
            f"def pack(P, {', '.join(columns)}):",
            "    for i in range(P.size):",
            *[f"        P[i].f{j} = c{j}[i]" for j in range(n_cols)],
            *[f"        P[i].k{j} = k{j}[i]" for j, c in enumerate(self.columns) if c.nullable],
            "",
            "",
            '@numba.njit(cache=True, nogil=True, error_model="numpy")',
            f"def kernel({args}):",
            "    nq = starts.size - 1",
            "    width = max(longest, 1)",
            f"    buf = np.empty(({max(n_buf, 1)}, width), np.float64)",
            "    keyb = np.empty(width, np.int64)",
            "    ordb = np.empty(width, np.int64)",
        ]
        for b, by in enumerate(self.bys):
            if by:
                lines.append(f"    grp{b} = np.empty(width, np.int64)")
        for o, (kind, _, _) in enumerate(self.overs):
            lines.append(f"    acc{o} = np.empty(width, np.float64)")
            if kind == "max":  # a sum over no value is 0: only a max needs to know
                lines.append(f"    seen{o} = np.empty(width, np.bool_)")
        lines += [
            "    for q in range(nq):",
            "        lo = starts[q]",
            "        hi = starts[q + 1]",
            "        t = tq[q]",
            "        a = at[q]",
        ]
        lines += over_lines
        for acc in pairs.values():
            p = acc.n
            lines.append(f"        n{p} = 0")
            if acc.kinds & {"sum", "mean"}:
                lines.append(f"        s{p} = 0.0")
            if "std" in acc.kinds:
                lines += [f"        w{p} = 0.0", f"        q{p} = 0.0", f"        z{p} = 0.0"]
            if "max" in acc.kinds:
                lines.append(f"        hi{p} = -np.inf")
            if "min" in acc.kinds:
                lines.append(f"        lw{p} = np.inf")
        lines += ["        for i in range(lo, hi):", "            r = rows[i]"]
        lines += main.lines
        lines += _update_lines(pairs)
        for j, (_name, kind, pair) in enumerate(outputs):
            acc = pairs[pair]
            p = acc.n
            value = {
                "count": f"np.float64(n{p})",
                "sum": f"s{p}",
                "mean": f"s{p} / n{p} if n{p} > 0 else np.nan",
                "max": f"hi{p} if n{p} > 0 else np.nan",
                "min": f"lw{p} if n{p} > 0 else np.nan",
                "std": f"_fk.std_of(w{p}, q{p}, n{p})",
                "median": f"_fk.median_of(buf[{acc.slot}], n{p})",
                "nunique": f"_fk.nunique_of(buf[{acc.slot}], n{p})",
            }[kind]
            lines.append(f"        a{j} = {value}")
        lines += post.lines
        for j, (value, ok) in enumerate(results):
            if ok == "True":
                lines.append(f"        o{j}[a] = {value}")
            else:
                lines.append(f"        o{j}[a] = {value} if {ok} else np.nan")
        lines.append("")
        return "\n".join(lines)

    def _over_lines(self) -> list[str]:
        ind = " " * 8
        lines = [f"{ind}n = hi - lo"]
        for b, by in enumerate(self.bys):
            if not by:
                continue
            col = self.column(by[0])
            j = self.columns.index(col)
            key = f"np.int64(P[r].f{j})"
            if col.nullable:
                key = f"{key} if P[r].k{j} else {_INT_MIN if col.kind == 'i' else -1}"
            lines += [
                f"{ind}for i in range(lo, hi):",
                f"{ind}    r = rows[i]",
                f"{ind}    keyb[i - lo] = {key}",
                f"{ind}ng{b} = _fk.groups(keyb, n, ordb, grp{b})",
            ]
        for b, by in enumerate(self.bys):
            # every over window partitioned the same way: one pass over the rows
            overs = [(o, kind, value) for o, (kind, ob, value) in enumerate(self.overs) if ob == b]
            groups = f"ng{b}" if by else "1"
            g = f"grp{b}[i - lo]" if by else "0"
            body = _Body(self, ind + "    ", in_over=True)
            updates = []
            for o, kind, value in overs:
                lines += [f"{ind}for g in range({groups}):"]
                if kind == "sum":
                    lines += [f"{ind}    acc{o}[g] = 0.0"]
                else:
                    lines += [f"{ind}    acc{o}[g] = -np.inf", f"{ind}    seen{o}[g] = False"]
                x = body.node(value)
                if x.typ.startswith("c:"):
                    raise Unsupported("over of text")
                xv, keep = _number(x)
                updates += [f"{ind}    if {keep}:", f"{ind}        x = {xv}"]
                if kind == "sum":
                    updates += [f"{ind}        acc{o}[g] += x"]
                else:
                    updates += [
                        f"{ind}        acc{o}[g] = max(acc{o}[g], x)",
                        f"{ind}        seen{o}[g] = True",
                    ]
            lines += [
                f"{ind}for i in range(lo, hi):",
                f"{ind}    r = rows[i]",
                f"{ind}    g = {g}",
                *body.lines,
                *updates,
            ]
        return lines


def _update_lines(pairs: dict[tuple[str, str], _Acc]) -> list[str]:
    """Per row: each (value, mask) pair's accumulators take the value if it counts."""
    ind = " " * 12
    lines: list[str] = []
    for acc in pairs.values():
        p = acc.n
        x, keep = _number(acc.value)
        if acc.mask is not None:
            keep = _both(keep, _both(acc.mask.ok, acc.mask.v))
        lines += [f"{ind}if {keep}:", f"{ind}    x = {x}", f"{ind}    n{p} += 1"]
        if acc.kinds & {"sum", "mean"}:
            lines.append(f"{ind}    s{p} += x")
        if "std" in acc.kinds:
            # sums of values shifted by the first one: no division per row, and no
            # cancellation from a large mean
            lines += [
                f"{ind}    if n{p} == 1:",
                f"{ind}        z{p} = x",
                f"{ind}    d = x - z{p}",
                f"{ind}    w{p} += d",
                f"{ind}    q{p} += d * d",
            ]
        if "max" in acc.kinds:
            lines.append(f"{ind}    hi{p} = max(hi{p}, x)")
        if "min" in acc.kinds:
            lines.append(f"{ind}    lw{p} = min(lw{p}, x)")
        if acc.slot >= 0:
            lines.append(f"{ind}    buf[{acc.slot}, n{p} - 1] = x")
    return lines
