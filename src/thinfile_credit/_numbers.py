"""The one rule for a setting that must be a real number: ``int``/``float`` and NumPy
numbers, never a bool, text or a duration (``np.timedelta64`` is a NumPy integer).

Examples
--------
>>> import numpy as np
>>> from thinfile_credit._numbers import is_real
>>> [is_real(v) for v in (3, 0.5, np.float32(1), True, "1", np.timedelta64(1, "D"))]
[True, True, True, False, False, False]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["is_real"]


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (not a boolean, text or a duration)."""
    return not isinstance(value, (bool, np.bool_, np.timedelta64)) and isinstance(
        value, (int, float, np.integer, np.floating)
    )
