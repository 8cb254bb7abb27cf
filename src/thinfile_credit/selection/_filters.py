"""Filter stages on WoE-encoded features: information value, correlation, VIF.

Every stage is deterministic: ties are broken by higher IV, then by input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.selection._checks import check_threshold, checked_iv, checked_stage_inputs

__all__ = ["correlation_filter", "iv_filter", "variance_inflation", "vif_filter"]

#: ``1 - R²`` at or below this is an exact linear dependence seen through rounding (a VIF
#: of 1e10 or more, far above any threshold a modeller would set).
_EXACT = 1e-10

#: A coefficient within this many rounding floors of zero is noise, not a dependence.
_NOISE = 64.0


def iv_filter(
    iv: Mapping[str, float], min_iv: float = 0.02, max_iv: float | None = None
) -> dict[str, str]:
    """Features failing the IV thresholds, with the reason.

    A very high IV (``max_iv``, e.g. 0.8) often signals leakage from the outcome.

    Raises
    ------
    SpecError
        An IV that is not a finite number (NaN would pass both thresholds; ``column``
        names the feature), or a threshold that is not.

    Examples
    --------
    >>> iv_filter({"a": 0.3, "b": 0.01, "c": 1.2}, min_iv=0.02, max_iv=0.8)
    {'b': 'IV 0.0100 < min_iv 0.02', 'c': 'IV 1.2000 > max_iv 0.8 (suspect leakage)'}
    """
    values = checked_iv(iv, list(iv))
    check_threshold("min_iv", min_iv, 0.0, None)
    if max_iv is not None:
        check_threshold("max_iv", max_iv, min_iv, None)
    dropped: dict[str, str] = {}
    for name, value in values.items():
        if value < min_iv:
            dropped[name] = f"IV {value:.4f} < min_iv {min_iv:g}"
        elif max_iv is not None and value > max_iv:
            dropped[name] = f"IV {value:.4f} > max_iv {max_iv:g} (suspect leakage)"
    return dropped


def correlation_filter(
    woe: NDArray[np.float64],
    names: Sequence[str],
    iv: Mapping[str, float],
    max_corr: float = 0.7,
) -> dict[str, str]:
    """Drop the lower-IV feature of every pair with ``|Pearson r| > max_corr``.

    Features are visited by decreasing IV; each is kept unless it is too correlated
    with a feature already kept.

    Raises
    ------
    DataError
        A WoE value that is not finite (names the feature and rows), names given twice.
    SpecError
        An IV that is not a finite number, ``max_corr`` outside ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); a = rng.normal(size=500)
    >>> W = np.column_stack([a, a + rng.normal(scale=0.1, size=500), rng.normal(size=500)])
    >>> correlation_filter(W, ["a", "a2", "c"], {"a": 0.5, "a2": 0.4, "c": 0.1})
    {'a2': '|corr| 0.996 > max_corr 0.7 with a (higher IV)'}
    """
    woe, names, iv = checked_stage_inputs(woe, names, iv, ("max_corr", max_corr, 0.0, 1.0))
    corr = _corr(woe)
    order = _by_iv(names, iv)
    kept: list[int] = []
    dropped: dict[str, str] = {}
    for j in order:
        clash = [k for k in kept if abs(corr[j, k]) > max_corr]
        if clash:
            k = max(clash, key=lambda c: abs(corr[j, c]))
            dropped[names[j]] = (
                f"|corr| {abs(corr[j, k]):.3f} > max_corr {max_corr:g} with {names[k]} (higher IV)"
            )
        else:
            kept.append(j)
    return dropped


def vif_filter(
    woe: NDArray[np.float64],
    names: Sequence[str],
    iv: Mapping[str, float],
    max_vif: float = 5.0,
) -> dict[str, str]:
    """Drop features one at a time while the largest variance inflation factor exceeds ``max_vif``.

    ``VIF_j = 1 / (1 - R²_j)``, where ``R²_j`` is that of the least-squares regression of
    feature ``j`` on the other active features (see :func:`variance_inflation`). A feature
    that is an exact linear combination of others has an **infinite** VIF. Among features
    tied at the maximum - every member of an exact combination is - the lower-IV one goes
    first, then the later one in input order.

    Cost: one QR of the standardised ``n x k`` design (``O(n k²)``), then one ``O(k³)``
    factorisation of its ``k x k`` factor per dropped feature.

    Raises
    ------
    DataError
        Non-finite WoE (an infinite VIF would be read off a NaN), repeated names.
    SpecError
        A non-finite IV, ``max_vif`` below 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); a, b = rng.normal(size=(2, 500))
    >>> W = np.column_stack([a, b, a + b + rng.normal(scale=0.05, size=500)])
    >>> sorted(vif_filter(W, ["a", "b", "s"], {"a": 0.5, "b": 0.4, "s": 0.3}))
    ['s']
    >>> exact = np.column_stack([a, b, a + b])  # a singular correlation matrix
    >>> vif_filter(exact, ["a", "b", "s"], {"a": 0.5, "b": 0.4, "s": 0.3})
    {'s': 'VIF inf > max_vif 5 (an exact linear combination of other features)'}
    """
    from threadpoolctl import threadpool_limits

    woe, names, iv = checked_stage_inputs(woe, names, iv, ("max_vif", max_vif, 1.0, None))

    active = list(range(len(names)))
    dropped: dict[str, str] = {}
    factor = _gram_factor(woe)  # O(n k²) once, BLAS threads welcome
    # every pass works on k x k matrices, where BLAS threads cost more in waking and
    # synchronising than they save (on two busy cores: 0.2-0.5 s against 0.012 s for
    # the 50 passes of k = 100)
    with threadpool_limits(limits=1, user_api="blas"):
        while len(active) > 1:
            vif = _vif_from_factor(factor[:, active])
            top = float(np.max(vif))
            if top <= max_vif:
                break
            tied = vif == top if np.isinf(top) else vif >= top * (1.0 - 1e-9)
            worst = [active[i] for i in np.flatnonzero(tied)]
            j = min(worst, key=lambda c: (iv[names[c]], -c))
            dropped[names[j]] = (
                f"VIF inf > max_vif {max_vif:g} (an exact linear combination of other features)"
                if np.isinf(top)
                else f"VIF {top:.2f} > max_vif {max_vif:g}"
            )
            active.remove(j)
    return dropped


def variance_inflation(woe: NDArray[np.float64]) -> NDArray[np.float64]:
    """VIF of every column of ``woe``: ``1 / (1 - R²)`` of its regression on the others.

    ``inf`` where the column is a linear combination of the others up to rounding
    (``1 - R² <= 1e-10``, a VIF of 1e10 or more); 1 for a constant column, which has no
    variance to inflate.

    Notes
    -----
    Inverting the correlation matrix fails exactly when it matters: for a singular matrix
    the inverse's diagonal is rounding noise (huge, often negative, so the largest VIF can
    look like 1). Instead the standardised columns are reduced once to the triangular
    factor ``R`` of their QR decomposition (``R'R`` is their Gram matrix, so the accuracy
    is that of the data, not of its square), and every VIF comes from one column-pivoted
    QR of ``R``'s columns: the pivots whose ``1 - R²`` on the earlier pivots is at most
    ``1e-10`` are exact combinations of the others (``inf``), as is every column they lean
    on; the rest are the diagonal of the inverse correlation of the independent columns,
    read off the inverse triangular factor. Cost ``O(n k²)`` once, then ``O(k³)`` per
    call on ``k`` features.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1); a, b, c = rng.normal(size=(3, 400))
    >>> variance_inflation(np.column_stack([a, b, a - 2 * b, c])).round(2).tolist()[:3]
    [inf, inf, inf]
    >>> bool(variance_inflation(np.column_stack([a, b, a - 2 * b, c]))[3] < 1.1)
    True
    """
    return _vif_from_factor(_gram_factor(woe))


# --- helpers ----------------------------------------------------------------------------


def _corr(woe: NDArray[np.float64]) -> NDArray[np.float64]:
    if woe.shape[1] == 1:
        return np.ones((1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.corrcoef(woe, rowvar=False)
    corr = np.atleast_2d(np.nan_to_num(np.asarray(corr, dtype=np.float64), nan=0.0))
    np.fill_diagonal(corr, 1.0)
    return corr


def _by_iv(names: Sequence[str], iv: Mapping[str, float]) -> list[int]:
    return sorted(range(len(names)), key=lambda j: (-iv[names[j]], j))


def _gram_factor(woe: NDArray[np.float64]) -> NDArray[np.float64]:
    """``R`` with ``R'R = Z'Z`` for the centred, unit-length columns ``Z`` of ``woe``."""
    x = np.asarray(woe, dtype=np.float64)
    z = x - x.mean(axis=0)
    # exactly constant columns are set to 0 (centring may leave rounding dust in them)
    constant = np.ptp(x, axis=0) == 0 if x.shape[0] else np.ones(x.shape[1], dtype=bool)
    z[:, constant] = 0.0
    norm = np.sqrt(np.einsum("ij,ij->j", z, z))
    z /= np.where(norm > 0, norm, 1.0)
    factor = np.linalg.qr(z, mode="r")  # the triangular factor only
    return np.asarray(factor, dtype=np.float64)


def _vif_from_factor(factor: NDArray[np.float64]) -> NDArray[np.float64]:
    """Every column's VIF from one column-pivoted QR of the Gram factor's columns.

    The columns are unit length, so a pivot's ``|R_ii|²`` is its ``1 - R²`` on the pivots
    before it: pivots stop being independent where that falls to ``_EXACT``. The columns
    after them (``D``) are combinations of the independent ones (``B``) up to rounding:
    VIF ``inf``. For a column ``j`` of ``B``, with ``tau_j`` its ``1 - R²`` within ``B``
    (``1 / tau_j`` is the diagonal of the inverse correlation of ``B``, the squared row
    norms of ``R_BB⁻¹``), ``X_j`` the coefficients of ``D``'s columns on it and ``G`` the
    Gram matrix of ``D``'s residuals on ``B``, its ``1 - R²`` on every other column is
    ``tau_j / (1 + tau_j X_j G⁻¹ X_j')`` (Woodbury): near 0 - ``inf`` - when a column of
    ``D`` leans on it, ``tau_j`` when none does. Coefficients at the rounding level are
    zeroed first and residuals floored at it, so rounding noise never inflates a VIF.
    One ``O(k³)`` factorisation per call, as against ``O(k⁴)`` for ``k`` regressions.
    """
    from scipy.linalg import qr, solve_triangular

    k = factor.shape[1]
    out = np.ones(k)
    live = np.flatnonzero(np.einsum("ij,ij->j", factor, factor) > 0.0)  # constant: VIF 1
    if live.size < 2:
        return out
    r, pivots = qr(factor[:, live], mode="r", pivoting=True)
    diag = np.abs(np.diag(r))
    small = np.flatnonzero(diag * diag <= _EXACT)
    rank = int(small[0]) if small.size else diag.size
    basis, dependent = live[pivots[:rank]], live[pivots[rank:]]
    out[dependent] = np.inf
    if rank == 0:
        return out
    r11 = r[:rank, :rank]
    inverse = solve_triangular(r11, np.eye(rank))
    tau = 1.0 / np.einsum("ij,ij->i", inverse, inverse)  # 1 - R² of each within B
    if dependent.size:
        coef = solve_triangular(r11, r[:rank, rank:])  # X: every d of D on B
        # a coefficient at the rounding level of d is noise, not a dependence (measured:
        # noise stays below 2 floors, a real coefficient of 1e-6 is 1e7 floors or more)
        floor = np.finfo(np.float64).eps * (1.0 + np.abs(coef).sum(axis=0))
        coef = np.where(np.abs(coef) > _NOISE * floor, coef, 0.0)
        # 1 - R²_j on B minus j plus D: tau_j / (1 + tau_j X_j G⁻¹ X_j'), G the Gram of
        # D's residuals on B (each at least its rounding floor)
        residuals = np.vstack([r[rank:, rank:], np.diag(floor)])
        gram_factor = qr(residuals, mode="r")[0][: dependent.size]
        lean = solve_triangular(gram_factor, coef.T, trans="T")
        tau = tau / (1.0 + tau * np.einsum("ij,ij->j", lean, lean))
    out[basis] = np.where(tau <= _EXACT, np.inf, 1.0 / tau)
    return out
