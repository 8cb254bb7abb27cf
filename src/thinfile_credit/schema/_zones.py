"""When two time-zone names are one zone.

Validation asks every aware timestamp column to share one time zone, because a feature
that reads local hours or compares two columns would otherwise mix clocks. The names a
column carries depend on how it was made, not on the zone: pandas writes
``datetime.timezone.utc`` as ``"UTC"``, an export may write ``"Etc/UTC"``, ``"Zulu"`` or
``"+00:00"``, and ``"US/Eastern"`` is a link to ``"America/New_York"``. Such names give
the same instants and the same local times, so comparing the raw strings would refuse
valid tables. :func:`zone_key` reads each name as the zone it denotes.

Examples
--------
>>> from thinfile_credit.schema._zones import zone_key
>>> zone_key("Etc/UTC") == zone_key("UTC") == zone_key("+00:00") == zone_key("Zulu")
True
>>> zone_key("+08:00") == zone_key("Asia/Shanghai")  # a fixed offset has no DST rules
False
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["zone_key"]

#: Names of the zone whose offset is always zero (UTC and GMT: the same instants and
#: local times; their tz database files differ only in the abbreviation).
_UTC_NAMES = frozenset(
    {"UTC", "UCT", "Universal", "Zulu", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Z"}
    | {f"Etc/{n}" for n in ("UTC", "UCT", "Universal", "Zulu", "GMT", "GMT0")}
    | {"Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich"}
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_ETC_GMT = re.compile(r"^Etc/GMT([+-])(\d{1,2})$")
#: A tz database name: path parts of letters, digits, ``_``, ``+`` and ``-`` (never
#: ``..``), so looking up its file cannot leave the database's folder.
_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")


@lru_cache(maxsize=512)
def zone_key(zone: str | None) -> str | None:
    """One key per zone: equal for names of the same zone, ``None`` for naive.

    A fixed offset is keyed by its value (zero offsets as ``"UTC"``); a tz database
    name by the rules it denotes (its compiled file), so links such as ``"US/Eastern"``
    and ``"America/New_York"`` are one zone; a name whose rules cannot be read is its own
    key.

    Parameters
    ----------
    zone : str or None
        A time-zone name as a Polars ``Datetime`` dtype carries it.

    Returns
    -------
    str or None

    Examples
    --------
    >>> zone_key("Etc/Universal")
    'UTC'
    >>> zone_key("+05:30")
    '+05:30'
    """
    if zone is None:
        return None
    offset = _OFFSET.match(zone)
    if offset is not None:
        sign, hours, minutes = offset.groups()
        return "UTC" if hours == minutes == "00" else f"{sign}{hours}:{minutes}"
    posix = _ETC_GMT.match(zone)
    if posix is not None:  # POSIX signs: Etc/GMT-8 is 8 hours ahead (Polars' "+08:00")
        sign, hours = posix.groups()
        ahead = "+" if sign == "-" else "-"
        return "UTC" if int(hours) == 0 else f"{ahead}{int(hours):02d}:00"
    if zone in _UTC_NAMES:
        return "UTC"
    data = _rules(zone)
    return zone if data is None else "tzif:" + hashlib.sha256(data).hexdigest()


def _rules(zone: str) -> bytes | None:
    """The compiled tz database file of ``zone`` (the system's, else the ``tzdata``
    package's, as :mod:`zoneinfo` looks them up), or ``None``."""
    if not _NAME.match(zone):
        return None
    for folder in zoneinfo.TZPATH:
        path = Path(folder, zone)
        if path.is_file():
            try:
                return path.read_bytes()
            except OSError:
                return None
    try:
        return resources.files("tzdata.zoneinfo").joinpath(zone).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, IsADirectoryError, OSError):
        return None
