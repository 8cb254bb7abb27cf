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
:func:`cache_dir` and numba caches its machine code next to it. This module runs the
kernels; :mod:`._fused_codegen` writes them, from the expression nodes of
:mod:`._fused_nodes`.
"""

from __future__ import annotations

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

from thinfile_credit.features._expr import Expr, Unsupported
from thinfile_credit.features._fused_nodes import _Column
from thinfile_credit.features._plan import SourcePlan

__all__ = ["ENABLED", "MIN_ROWS", "FusedKernel", "cache_dir", "kernel_for"]

#: Whether the batch engine reduces sources with generated kernels (False: the block
#: engine everywhere, which the tests compare against).
ENABLED = True

#: Event rows from which a kernel is specialised to the table: columns without nulls
#: skip their validity checks. Below it one kernel per plan checks every column, so
#: small tables whose nulls fall differently never compile another kernel.
MIN_ROWS = 200_000

#: Queries per task when a kernel runs on several threads.
CHUNK = 65_536


@dataclass
class FusedKernel:
    """A generated kernel and how to feed it: :meth:`pack` the table once, then
    :meth:`run` blocks of queries, writing each output (aggregate or feature) per
    application."""

    names: list[str]  # outputs: the kept aggregates, then the features
    columns: list[_Column]
    literals: list[tuple[str, str]]  # (categorical column, text) per literal slot
    source: str
    _loaded: Any = field(default=None, repr=False)

    def _module(self) -> Any:
        if self._loaded is None:
            self._loaded = _load(self.source)
        return self._loaded

    def pack(self, table: pl.DataFrame) -> np.ndarray:
        """The kernel's view of ``table``: one record per event row holding the values
        of the columns it reads (nulls filled) and their validity.

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
        return packed

    def literal_codes(self, table: pl.DataFrame) -> np.ndarray:
        """Codes of the text literals in their columns' categories (``-1``, which no row
        holds, for a text an ``Enum`` column cannot hold)."""
        codes = []
        for col, text in self.literals:
            code = pl.Series([text]).cast(table.schema[col], strict=False).to_physical()[0]
            codes.append(-1 if code is None else code)
        return np.array(codes, dtype=np.int64) if codes else np.zeros(1, np.int64)

    def run(
        self,
        out: list[np.ndarray],
        at: np.ndarray,
        starts: np.ndarray,
        rows: np.ndarray,
        t: np.ndarray,
        literals: np.ndarray,
        packed: np.ndarray,
    ) -> None:
        """Write aggregate ``j`` of each query ``q`` to ``out[j][at[q]]``.

        Query ``q`` has the rows ``rows[starts[q]:starts[q + 1]]`` of the event table and
        the moment ``t[q]``; ``packed`` is :meth:`pack` of that table; ``out`` has one
        array per name. The kernel is serial and
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
        rows, literals, packed = frozen(rows, literals, packed)

        def task(lo: int) -> None:
            hi = min(nq, lo + CHUNK)
            at_q, starts_q, t_q = frozen(at[lo:hi], starts[lo : hi + 1], t[lo:hi])
            fn(at_q, starts_q, rows, t_q, literals, longest, *out, packed)

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
    nullable: bool = False,
) -> FusedKernel | None:
    """The kernel of ``sp`` over ``table``'s columns, or None if a node is unsupported.

    The kernel writes the aggregates named in ``keep`` (all by default), then
    ``features``: post-stage expressions (arithmetic on aggregates, see
    :mod:`._expr`) of this source's aggregates only, computed per application in the
    kernel, so their aggregates need never be stored. Columns without nulls skip the
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
    key = repr((sorted(sp.aggs.items()), sorted(kinds.items()), kept, sorted(features.items())))
    from thinfile_credit.features._fused_codegen import _Generator

    with _LOCK:
        if key not in _KERNELS:
            try:
                names, columns, literals, source = _Generator(kinds).kernel(sp, kept, features)
                _KERNELS[key] = FusedKernel(names, columns, literals, source)
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
