"""Reading and writing a :class:`~thinfile_credit.reasons.ReasonCatalog`: the
``_CatalogFiles`` mixin.

``to_dict`` (plain data, format version ``_FORMAT_VERSION``) and the JSON, YAML and file
round trips ``ReasonCatalog`` inherits. ``ReasonCatalog.from_dict``, which builds the
groups and actions, stays with the classes in :mod:`thinfile_credit.reasons.catalog`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thinfile_credit.errors import SpecError

if TYPE_CHECKING:
    from thinfile_credit.reasons.catalog import ActionReason, ReasonCatalog, ReasonGroup

__all__: list[str] = []

#: Written by ``to_dict``; 2 added ``ReasonGroup.beyond``.
_FORMAT_VERSION = 2
#: Read by ``ReasonCatalog.from_dict``: files written before a bump still load.
_FORMAT_VERSIONS = (1, 2)


class _CatalogFiles:
    """The serialisation of ``ReasonCatalog`` (its ``from_dict`` is in ``catalog``)."""

    if TYPE_CHECKING:
        groups: tuple[ReasonGroup, ...]
        name: str
        version: str
        languages: tuple[str, ...]
        protected: tuple[str, ...]
        immutable: tuple[str, ...]
        time_bound: tuple[str, ...]
        actions: tuple[ActionReason, ...]
        generic_hints: Mapping[str, Mapping[str, str]]

        @classmethod
        def from_dict(cls, data: Mapping[str, Any]) -> ReasonCatalog: ...

    # --- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON/YAML-safe, stable key order)."""
        return {
            "format_version": _FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "languages": list(self.languages),
            "protected": list(self.protected),
            "immutable": list(self.immutable),
            "time_bound": list(self.time_bound),
            "generic_hints": {k: dict(v) for k, v in self.generic_hints.items()},
            "groups": [g.to_dict() for g in self.groups],
            "actions": [a.to_dict() for a in self.actions],
        }

    def to_json(self, **kwargs: Any) -> str:
        """JSON text (UTF-8 characters kept readable)."""
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> ReasonCatalog:
        """Rebuild from :meth:`to_json` output.

        Raises
        ------
        SpecError
            On invalid JSON or any failure of :meth:`from_dict`.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"reason catalog is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_yaml(self) -> str:
        """YAML text (needs the ``yaml`` extra)."""
        from thinfile_credit._optional import require

        yaml = require("yaml", "yaml")
        return str(yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False))

    @classmethod
    def from_yaml(cls, text: str) -> ReasonCatalog:
        """Rebuild from :meth:`to_yaml` output (safe loader only).

        Raises
        ------
        SpecError
            On invalid YAML or any failure of :meth:`from_dict`.
        MissingDependencyError
            When PyYAML is not installed.
        """
        from thinfile_credit._optional import require

        yaml = require("yaml", "yaml")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"reason catalog is not valid YAML: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | Path) -> Path:
        """Write to ``path``; ``.yaml``/``.yml`` give YAML, anything else JSON."""
        path = Path(path)
        text = self.to_yaml() if path.suffix.lower() in (".yaml", ".yml") else self.to_json()
        path.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReasonCatalog:
        """Read a catalog written by :meth:`save` (format chosen by the file suffix).

        Raises
        ------
        SpecError
            As :meth:`from_json` / :meth:`from_yaml`.
        OSError
            When the file cannot be read.
        """
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            return cls.from_yaml(text)
        return cls.from_json(text)
