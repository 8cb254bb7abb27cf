"""One compiled kernel per source, generated from the feature expressions.

The block engine of :mod:`._segments` materialises each block of a cut as a Polars frame,
evaluates masks and values as columns and reduces each of them by a compiled pass. For a
source with many rows that is many passes over memory per aggregate. Here the row
expressions and aggregates of one source are written out as the body of a single numba
function: each application's rows are read once, straight from the event table through
the cut's gather index, every distinct expression node is computed once per row, and
every aggregate is accumulated in registers. ``over`` windows take one more pass over
the application's rows first.

The generated code follows the engine semantics exactly (see :mod:`._expr`): a value is
a pair (value, valid); arithmetic with null is null; ``a / b`` is null when ``b`` is 0;
``and``/``or`` are three-valued; masks and ``when`` read null as false; floats compare
in Polars' order (NaN equal to NaN, above every number); a row counts in an aggregate
when its value is valid and not NaN and its mask holds. Expressions outside what the
generator knows (float division by a column, text that is not categorical, ``over`` by
several columns...) raise :class:`Unsupported` and the source goes through the block
engine. ``tests/features/test_fused.py`` checks every feature against that engine.

The source of a kernel depends only on the plan and on the kinds of the table's columns
(categorical codes of literals are an argument), so it is written once to
:func:`cache_dir` and numba caches its machine code next to it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from thinfile_credit.features._expr import AGG_KINDS, Expr
from thinfile_credit.features._plan import SourcePlan

__all__ = ["MIN_ROWS", "FusedKernel", "Unsupported", "cache_dir", "kernel_for"]

#: Event rows from which a source is reduced by a generated kernel. Below it the block
#: engine is fast enough and a plan not compiled before would pay its compilation.
MIN_ROWS = 200_000

#: Queries per task when a kernel runs on several threads.
CHUNK = 65_536

_INT_MIN = -(2**63)


class Unsupported(Exception):
    """The expressions of a source use something the generator does not write."""


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # "i" integer (times too), "f" float, "b" boolean, "c" categorical code
    nullable: bool


@dataclass
class FusedKernel:
    """A generated kernel and how to feed it: ``run`` gives ``(aggregates, queries)``."""

    names: list[str]  # outputs: the kept aggregates, then the features
    columns: list[_Column]
    literals: list[tuple[str, str]]  # (categorical column, text) per literal slot
    source: str
    _loaded: Any = field(default=None, repr=False)

    def _module(self) -> Any:
        if self._loaded is None:
            self._loaded = _load(self.source)
        return self._loaded

    def arrays(self, table: pl.DataFrame) -> list[np.ndarray]:
        """The kernel's column arguments: one record array holding, per event row, the
        values of the columns it reads (nulls filled) and their validity.

        The kernel reads an application's rows in no particular order of the table: one
        record per row costs one cache miss where separate columns cost one each.
        """
        values, valid = [], []
        for c in self.columns:
            s = table[c.name]
            if c.kind == "c":
                s = s.to_physical()
            values.append(s.fill_null(0).to_numpy() if c.nullable else s.to_numpy())
            if c.nullable:
                valid.append(s.is_not_null().to_numpy())
        fields = [(f"f{j}", v.dtype) for j, v in enumerate(values)]
        fields += [(f"k{j}", np.bool_) for j, c in enumerate(self.columns) if c.nullable]
        packed = np.empty(table.height, np.dtype(fields, align=True))
        from thinfile_credit.features._gather_kernels import frozen

        self._module().pack(packed, *frozen(*values, *valid))
        return [packed]

    def literal_codes(self, table: pl.DataFrame) -> np.ndarray:
        """Codes of the text literals in their columns' categories."""
        codes = [
            pl.Series([text], dtype=pl.String).cast(table.schema[col]).to_physical()[0]
            for col, text in self.literals
        ]
        return np.array(codes, dtype=np.int64) if codes else np.zeros(1, np.int64)

    def run(
        self,
        out: list[np.ndarray],
        at: np.ndarray,
        starts: np.ndarray,
        rows: np.ndarray,
        t: np.ndarray,
        literals: np.ndarray,
        arrays: list[np.ndarray],
    ) -> None:
        """Write aggregate ``j`` of each query ``q`` to ``out[j][at[q]]``.

        Query ``q`` has the rows ``rows[starts[q]:starts[q + 1]]`` of the event table and
        the moment ``t[q]``; ``out`` has one array per name. The kernel is serial and
        releases the GIL: ranges of :data:`CHUNK` queries run on a pool of numba's
        thread count (a ``parallel=True`` kernel of this size takes four times as long
        to compile). Ranges write disjoint elements of ``out``.
        """
        from concurrent.futures import ThreadPoolExecutor

        import numba

        from thinfile_credit.features._gather_kernels import frozen

        fn = self._module().kernel
        nq = starts.size - 1
        longest = int(np.diff(starts).max()) if nq > 0 else 0
        rows, literals, *arrays = frozen(rows, literals, *arrays)

        def task(lo: int) -> None:
            hi = min(nq, lo + CHUNK)
            at_q, starts_q, t_q = frozen(at[lo:hi], starts[lo : hi + 1], t[lo:hi])
            fn(at_q, starts_q, rows, t_q, literals, longest, *out, *arrays)

        threads = max(1, min(numba.get_num_threads(), -(-nq // CHUNK)))
        if threads == 1:
            for lo in range(0, nq, CHUNK):
                task(lo)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(task, range(0, nq, CHUNK)))


_KERNELS: dict[str, FusedKernel | None] = {}
_LOCK = threading.Lock()


def kernel_for(
    sp: SourcePlan,
    table: pl.DataFrame,
    *,
    features: dict[str, Expr] | None = None,
    keep: set[str] | None = None,
    aliases: dict[str, str] | None = None,
    nullable: bool = False,
) -> FusedKernel | None:
    """The kernel of ``sp`` over ``table``'s columns, or None if a node is unsupported.

    The kernel writes the aggregates named in ``keep`` (all by default), then
    ``features``: post-stage expressions (arithmetic on aggregates, see
    :mod:`._expr`) of this source's aggregates only, computed per application in the
    kernel, so their aggregates need never be stored. ``aliases`` maps a column name
    of the expressions to the table column holding it. Columns without nulls skip the
    validity checks; ``nullable=True`` checks them for every column (one kernel for
    tables that differ in where their nulls are).
    """
    features = features or {}
    kept = [name for name in sp.aggs if keep is None or name in keep]
    kinds = {}
    for name, dtype in table.schema.items():
        kind = _kind(dtype)
        if kind is not None:
            has_nulls = nullable or bool(table[name].null_count())
            kinds[name] = _Column(name, kind, has_nulls)
    for name, column in (aliases or {}).items():
        if column in kinds:
            kinds[name] = kinds[column]
    key = repr((sorted(sp.aggs.items()), sorted(kinds.items()), kept, sorted(features.items())))
    with _LOCK:
        if key not in _KERNELS:
            try:
                _KERNELS[key] = _Generator(kinds).kernel(sp, kept, features)
            except Unsupported:
                _KERNELS[key] = None
        return _KERNELS[key]


def _kind(dtype: pl.DataType) -> str | None:
    if dtype in (pl.Categorical, pl.Enum):
        return "c"
    if dtype == pl.Boolean:
        return "b"
    if dtype.is_integer():
        return "i"
    if dtype.is_float():
        return "f"
    return None


def cache_dir() -> Path:
    """Where generated kernels are written (numba caches their code beside them).

    ``THINFILE_CREDIT_CACHE_DIR`` if set, else ``~/.cache/thinfile_credit/kernels``, else
    a folder in the temporary directory when the home folder is not writable.
    """
    env = os.environ.get("THINFILE_CREDIT_CACHE_DIR")
    candidates = [Path(env)] if env else []
    candidates += [
        Path.home() / ".cache" / "thinfile_credit" / "kernels",
        Path(tempfile.gettempdir()) / f"thinfile_credit_kernels_{os.getuid()}",
    ]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise OSError("no writable folder for compiled feature kernels")


def _load(source: str) -> Any:
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    name = f"thinfile_credit_kernel_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != source:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(source)
        tmp.replace(path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# code generation
# ---------------------------------------------------------------------------------------


@functools.cache
def _helpers_digest() -> str:
    """Digest of the modules compiled into every kernel (their helpers are inlined)."""
    from thinfile_credit.features import _fused_kernels, _segment_kernels

    digest = hashlib.sha256()
    for module in (_fused_kernels, _segment_kernels):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_ARITH = {"add": "+", "sub": "-", "mul": "*"}


@dataclass(frozen=True)
class _Val:
    """A generated node: value code, validity code, type ("i", "f", "b", "c:<column>",
    "n" for a null literal, "s" for a text literal)."""

    v: str
    ok: str
    typ: str


class _Body:
    """Lines computing expression nodes for the current row ``r``, each node once."""

    def __init__(
        self, gen: _Generator, indent: str, in_over: bool = False, post: bool = False
    ) -> None:
        self.gen = gen
        self.indent = indent
        self.in_over = in_over
        self.post = post  # the post stage: aggregates are leaves, columns are not
        self.lines: list[str] = []
        self.memo: dict[str, _Val] = {}

    def emit(self, v: str, ok: str, typ: str) -> _Val:
        n = self.gen.fresh()
        self.lines.append(f"{self.indent}v{n} = {v}")
        if ok in ("True", "False"):
            return _Val(f"v{n}", ok, typ)
        self.lines.append(f"{self.indent}ok{n} = {ok}")
        return _Val(f"v{n}", f"ok{n}", typ)

    def node(self, e: Expr) -> _Val:
        if e.key not in self.memo:
            self.memo[e.key] = self._node(e)
        return self.memo[e.key]

    def _node(self, e: Expr) -> _Val:
        op, a = e.op, e.args
        if op == "col":
            if self.post and a[0] != "_t":
                raise Unsupported(f"column {a[0]} after aggregation")
            return self._column(a[0])
        if op == "agg":
            if not self.post or e.key not in self.gen.agg_vars:
                raise Unsupported(f"aggregate {e.key}")
            j, kind = self.gen.agg_vars[e.key]
            # the post stage reads an aggregate's NaN as null, then an empty sum, count
            # or distinct count as its empty value
            empty = AGG_KINDS[kind]
            if empty is None:
                return _Val(f"a{j}", f"(a{j} == a{j})", "f")
            return self.emit(f"a{j} if a{j} == a{j} else {float(empty)!r}", "True", "f")
        if op == "lit":
            return _literal(a[0])
        if op in ("and", "or"):
            return self._logic(op, self.node(a[0]), self.node(a[1]))
        if op in _CMP:
            return self._compare(op, a[0], a[1])
        if op in _ARITH:
            x, y = self._numbers(a[0], a[1])
            typ = "i" if x.typ == y.typ == "i" else "f"
            return self.emit(f"{_as(x, typ)} {_ARITH[op]} {_as(y, typ)}", _both(x.ok, y.ok), typ)
        if op == "div":
            x, y = self._numbers(a[0], a[1])
            if a[1].op == "lit" and a[1].args[0] != 0:
                return self.emit(f"{_as(x, 'f')} / {_as(y, 'f')}", x.ok, "f")
            ok = _both(_both(x.ok, y.ok), f"({y.v} != 0)")
            return self.emit(f"{_as(x, 'f')} / {_as(y, 'f')} if {y.v} != 0 else 0.0", ok, "f")
        if op in ("floordiv", "mod"):
            x, y = self._numbers(a[0], a[1])
            divisor = a[1].args[0] if a[1].op == "lit" else None
            if not (x.typ == "i" and isinstance(divisor, int) and divisor != 0):
                raise Unsupported(f"{op} of {e.key}")
            sym = "//" if op == "floordiv" else "%"
            return self.emit(f"{x.v} {sym} {divisor}", x.ok, "i")
        if op == "not":
            x = self._bool(self.node(a[0]))
            return self.emit(f"not ({_both(x.ok, x.v)})", "True", "b")
        if op == "is_null":
            x = self.node(a[0])
            return self.emit(f"not ({x.ok})", "True", "b")
        if op == "is_in":
            return self._is_in(self.node(a[0]), a[1])
        if op == "float":
            x = self.node(a[0])
            if x.typ == "b":
                return self.emit(f"1.0 if {x.v} else 0.0", x.ok, "f")
            if x.typ in ("i", "f"):
                return self.emit(f"np.float64({x.v})", x.ok, "f")
            raise Unsupported(f"float of {x.typ}")
        if op == "when":
            return self._when(self._bool(self.node(a[0])), self.node(a[1]), self.node(a[2]))
        if op == "log":
            x = self.node(a[0])
            if x.typ not in ("i", "f"):
                raise Unsupported("log of a non-number")
            # written inline, not as a statement: inside a ``when`` it is computed only
            # for the rows the condition keeps (a logarithm costs more than a row read)
            return _Val(f"np.log(np.float64({x.v}))", x.ok, "f")
        if op == "over":
            if self.in_over:
                raise Unsupported("over inside over")
            return self.gen.over_value(e)
        raise Unsupported(op)

    def _column(self, name: str) -> _Val:
        if name == "_t":
            return _Val("t", "True", "i")
        col = self.gen.column(name)
        j = self.gen.columns.index(col)
        ok = f"P[r].k{j}" if col.nullable else "True"
        typ = f"c:{name}" if col.kind == "c" else col.kind
        return self.emit(f"P[r].f{j}", ok, typ)

    def _numbers(self, x_e: Any, y_e: Any) -> tuple[_Val, _Val]:
        x, y = self.node(x_e), self.node(y_e)
        for v in (x, y):
            if v.typ not in ("i", "f"):
                raise Unsupported(f"arithmetic on {v.typ}")
        return x, y

    def _bool(self, x: _Val) -> _Val:
        if x.typ == "n":
            return _Val("False", "False", "b")
        if x.typ != "b":
            raise Unsupported(f"a condition of type {x.typ}")
        return x

    def _logic(self, op: str, x: _Val, y: _Val) -> _Val:
        x, y = self._bool(x), self._bool(y)
        if x.ok == y.ok == "True":
            return self.emit(f"{x.v} {op} {y.v}", "True", "b")
        if op == "and":
            decided = f"(({x.ok}) and not {x.v}) or (({y.ok}) and not {y.v})"
            value = f"not ({decided})"
        else:
            decided = f"(({x.ok}) and {x.v}) or (({y.ok}) and {y.v})"
            value = f"({decided})"
        ok = f"({decided}) or (({x.ok}) and ({y.ok}))"
        return self.emit(value, ok, "b")

    def _compare(self, op: str, x_e: Any, y_e: Any) -> _Val:
        x, y = self.node(x_e), self.node(y_e)
        if x.typ == "s" and y.typ.startswith("c:"):
            x, y = y, x
            op = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}.get(op, op)
        if x.typ.startswith("c:") and y.typ == "s" and op in ("eq", "ne"):
            slot = self.gen.literal(x.typ[2:], y.v)
            return self.emit(f"{x.v} {_CMP[op]} L[{slot}]", x.ok, "b")
        if x.typ not in ("i", "f") or y.typ not in ("i", "f"):
            raise Unsupported(f"comparison of {x.typ} and {y.typ}")
        ok = _both(x.ok, y.ok)
        if x.typ == y.typ == "i":
            return self.emit(f"{x.v} {_CMP[op]} {y.v}", ok, "b")
        a, b = _as(x, "f"), _as(y, "f")
        code = {
            "lt": f"_fk.f_lt({a}, {b})",
            "le": f"_fk.f_le({a}, {b})",
            "gt": f"_fk.f_lt({b}, {a})",
            "ge": f"_fk.f_le({b}, {a})",
            "eq": f"_fk.f_eq({a}, {b})",
            "ne": f"not _fk.f_eq({a}, {b})",
        }[op]
        return self.emit(code, ok, "b")

    def _is_in(self, x: _Val, values: tuple[Any, ...]) -> _Val:
        if x.typ.startswith("c:") and all(isinstance(v, str) for v in values):
            slots = [self.gen.literal(x.typ[2:], v) for v in values]
            tests = " or ".join(f"{x.v} == L[{s}]" for s in slots) or "False"
        elif x.typ == "i" and all(type(v) is int for v in values):
            tests = " or ".join(f"{x.v} == {v}" for v in values) or "False"
        else:
            raise Unsupported(f"is_in on {x.typ}")
        return self.emit(f"({tests})", x.ok, "b")

    def _when(self, cond: _Val, then: _Val, other: _Val) -> _Val:
        typ = _common(then.typ, other.typ)
        c = _both(cond.ok, cond.v)
        v = f"{_as(then, typ)} if {c} else {_as(other, typ)}"
        return self.emit(v, f"({then.ok}) if {c} else ({other.ok})", typ)


def _literal(value: Any) -> _Val:
    if value is None:
        return _Val("0", "False", "n")
    if isinstance(value, bool):
        return _Val(repr(value), "True", "b")
    if isinstance(value, int):
        return _Val(repr(value), "True", "i")
    if isinstance(value, float):
        if value != value:
            return _Val("np.nan", "True", "f")
        if value in (float("inf"), -float("inf")):
            return _Val("np.inf" if value > 0 else "-np.inf", "True", "f")
        return _Val(f"np.float64({value!r})", "True", "f")
    if isinstance(value, str):
        return _Val(value, "True", "s")
    raise Unsupported(f"literal {value!r}")


def _common(a: str, b: str) -> str:
    if a == "n":
        return b if b != "n" else "f"
    if b == "n" or a == b:
        return a
    if {a, b} == {"i", "f"}:
        return "f"
    raise Unsupported(f"when of {a} and {b}")


def _as(x: _Val, typ: str) -> str:
    """The value of ``x`` as ``typ`` (a null literal's placeholder of that type)."""
    if x.typ == "n":
        return {"f": "np.nan", "b": "False"}.get(typ, "0")
    if typ == "f" and x.typ != "f":
        return f"np.float64({x.v})"
    return x.v


def _both(a: str, b: str) -> str:
    if a == "True":
        return b
    if b == "True":
        return a
    if "False" in (a, b):
        return "False"
    return f"({a} and {b})"


@dataclass
class _Acc:
    """Accumulators of one (value, mask) pair."""

    n: int
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
        self.agg_vars: dict[str, tuple[int, str]] = {}  # agg key -> (variable, kind)

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

    def kernel(self, sp: SourcePlan, kept: list[str], features: dict[str, Expr]) -> FusedKernel:
        main = _Body(self, " " * 12)
        pairs: dict[tuple[str, str], _Acc] = {}
        outputs: list[tuple[str, str, tuple[str, str]]] = []
        updates: dict[tuple[str, str], tuple[_Val, _Val | None]] = {}
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
                pairs[pair] = _Acc(len(pairs))
                updates[pair] = (v, m)
            pairs[pair].kinds.add(kind)
            outputs.append((name, kind, pair))
        n_buf = 0
        for acc in pairs.values():
            if acc.kinds & {"median", "nunique"}:
                acc.slot = n_buf
                n_buf += 1
        self.agg_vars = {sp.aggs[name].key: (j, kind) for j, (name, kind, _) in enumerate(outputs)}
        post = _Body(self, " " * 8, post=True)
        results = [(f"a{self.agg_vars[sp.aggs[name].key][0]}", "True", "f") for name in kept]
        for expr in features.values():
            x = post.node(expr)
            if x.typ not in ("i", "f", "b", "n"):
                raise Unsupported(f"a feature of type {x.typ}")
            code = f"(1.0 if {x.v} else 0.0)" if x.typ == "b" else _as(x, "f")
            results.append((code, x.ok, x.typ))
        source = self._source(main, pairs, updates, outputs, n_buf, post, results)
        names = kept + list(features)
        return FusedKernel(names, self.columns, self.literals, source)

    def _source(
        self,
        main: _Body,
        pairs: dict[tuple[str, str], _Acc],
        updates: dict[tuple[str, str], tuple[_Val, _Val | None]],
        outputs: list[tuple[str, str, tuple[str, str]]],
        n_buf: int,
        post: _Body,
        results: list[tuple[str, str, str]],
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
        for b in range(len(self.bys)):
            lines.append(f"    grp{b} = np.empty(width, np.int64)")
        for o in range(len(self.overs)):
            lines.append(f"    acc{o} = np.empty(width, np.float64)")
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
        ind = " " * 12
        for pair, acc in pairs.items():
            v, m = updates[pair]
            p = acc.n
            keep = v.ok
            if v.typ == "f":
                keep = _both(keep, f"({v.v} == {v.v})")
            if m is not None:
                keep = _both(keep, _both(m.ok, m.v))
            x = f"(1.0 if {v.v} else 0.0)" if v.typ == "b" else f"np.float64({v.v})"
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
        for j, (value, ok, _typ) in enumerate(results):
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
                start = "0.0" if kind == "sum" else "-np.inf"
                lines += [
                    f"{ind}for g in range({groups}):",
                    f"{ind}    acc{o}[g] = {start}",
                    f"{ind}    seen{o}[g] = False",
                ]
                x = body.node(value)
                if x.typ not in ("i", "f", "b"):
                    raise Unsupported(f"over of {x.typ}")
                xv = f"(1.0 if {x.v} else 0.0)" if x.typ == "b" else f"np.float64({x.v})"
                keep = x.ok if x.typ != "f" else _both(x.ok, f"({x.v} == {x.v})")
                update = f"acc{o}[g] += x" if kind == "sum" else f"acc{o}[g] = max(acc{o}[g], x)"
                updates += [
                    f"{ind}    if {keep}:",
                    f"{ind}        x = {xv}",
                    f"{ind}        {update}",
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
