"""Import optional extras with a friendly error naming the ``pip install`` command."""

from __future__ import annotations

import importlib
from types import ModuleType

from thinfile_credit.errors import MissingDependencyError

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or explain which extra provides it.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"lightgbm"``.
    extra : str
        The ``thinfile-credit`` extra that installs it, e.g. ``"lightgbm"``.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingDependencyError
        When the module is not installed; the message names
        ``pip install "thinfile-credit[extra]"``.

    Examples
    --------
    >>> np = require("numpy", "core")
    >>> np.__name__
    'numpy'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            f'{module!r} is not installed; install it with: pip install "thinfile-credit[{extra}]"'
        ) from exc
