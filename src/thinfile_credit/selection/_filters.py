"""Filter stages on WoE-encoded features: information value, correlation, VIF.

Every stage is deterministic: ties are broken by higher IV, then by input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["correlation_filter", "iv_filter", "vif_filter"]


def iv_filter(
    iv: Mapping[str, float], min_iv: float = 0.02, max_iv: float | None = None
) -> dict[str, str]:
    """Features failing the IV thresholds, with the reason.

    A very high IV (``max_iv``, e.g. 0.8) often signals leakage from the outcome.

    Examples
    --------
    >>> iv_filter({"a": 0.3, "b": 0.01, "c": 1.2}, min_iv=0.02, max_iv=0.8)
    {'b': 'IV 0.0100 < min_iv 0.02', 'c': 'IV 1.2000 > max_iv 0.8 (suspect leakage)'}
    """
    dropped: dict[str, str] = {}
    for name, value in iv.items():
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

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); a = rng.normal(size=500)
    >>> W = np.column_stack([a, a + rng.normal(scale=0.1, size=500), rng.normal(size=500)])
    >>> correlation_filter(W, ["a", "a2", "c"], {"a": 0.5, "a2": 0.4, "c": 0.1})
    {'a2': '|corr| 0.996 > max_corr 0.7 with a (higher IV)'}
    """
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

    VIF_j = 1 / (1 - R²_j), read off the diagonal of the inverse correlation matrix.
    Among features tied at the maximum, the lower-IV one goes first.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); a, b = rng.normal(size=(2, 500))
    >>> W = np.column_stack([a, b, a + b + rng.normal(scale=0.05, size=500)])
    >>> sorted(vif_filter(W, ["a", "b", "s"], {"a": 0.5, "b": 0.4, "s": 0.3}))
    ['s']
    """
    active = list(range(len(names)))
    dropped: dict[str, str] = {}
    while len(active) > 1:
        corr = _corr(woe[:, active])
        try:
            vif = np.diag(np.linalg.inv(corr))
        except np.linalg.LinAlgError:
            vif = 1.0 / np.maximum(1e-12, 1.0 - np.max(np.abs(corr - np.eye(len(active))), axis=1))
        top = float(np.max(vif))
        if top <= max_vif:
            break
        worst = [active[i] for i in np.flatnonzero(vif >= top - 1e-12)]
        j = min(worst, key=lambda c: (iv[names[c]], -c))
        dropped[names[j]] = f"VIF {top:.2f} > max_vif {max_vif:g}"
        active.remove(j)
    return dropped


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
