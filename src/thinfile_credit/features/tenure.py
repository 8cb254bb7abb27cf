"""Tenure and stability features from profiles and profile changes (prefix ``ten_``)."""

from __future__ import annotations

from dataclasses import dataclass

from thinfile_credit.features import pit
from thinfile_credit.features._expr import agg, col
from thinfile_credit.features.spec import DEFAULT_WINDOWS, FeatureDef, FeatureFamily, check_windows

__all__ = ["TenureFeatures"]

_PROFILES = "profiles"
_CHANGES = "profile_changes"

#: Chinese names of the default change kinds (others are shown as given).
_CHANGES_ZH = {"device": "更换设备", "address": "更改地址", "phone": "更换手机号"}


@dataclass(frozen=True)
class TenureFeatures(FeatureFamily):
    """How long the applicant has been on the platform and how stable their identity is.

    A profile counts only if the account was registered strictly before ``t``; a phone
    counts as verified only if verified strictly before ``t``; changes count only if
    made strictly before ``t``.

    Parameters
    ----------
    windows : tuple of int, default (30, 90, 180, 365)
        Windows for the change counts.
    change_kinds : tuple of str, default ("device", "address", "phone")
        Kinds of ``profile_changes`` counted, one feature per kind and window.

    Examples
    --------
    >>> TenureFeatures(windows=(90,)).feature_names[2:4]
    ['ten_phone_verified_age_days', 'ten_device_changes_90d']
    """

    windows: tuple[int, ...] = DEFAULT_WINDOWS
    change_kinds: tuple[str, ...] = ("device", "address", "phone")

    prefix = "ten"
    family = "tenure"

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", check_windows(self.windows, "TenureFeatures"))
        from thinfile_credit.errors import SpecError

        kinds = self.change_kinds
        if isinstance(kinds, str) or not all(
            isinstance(k, str) and k.isidentifier() for k in kinds
        ):
            raise SpecError(
                "TenureFeatures.change_kinds must be a tuple of identifier-like strings"
            )
        object.__setattr__(self, "change_kinds", tuple(kinds))

    def features(self) -> list[FeatureDef]:
        """Account and phone age, then changes per kind and window."""
        d = self._def
        verified = col("phone_verified_at") < pit.T
        out = [
            d(
                "ten_account_age_days",
                None,
                "Days from account registration to the application.",
                "days",
                "higher_is_safer",
                agg("max", _PROFILES, pit.age_days("registered_at")),
                "no account registered before the application",
                definition_zh="账户注册距申请时的天数",
            ),
            d(
                "ten_phone_verified",
                None,
                "1 if the phone was verified before the application.",
                "flag",
                "higher_is_safer",
                agg("sum", _PROFILES, verified.to_float()),
                definition_zh="申请前手机号是否已验证（是为1，否为0）",
            ),
            d(
                "ten_phone_verified_age_days",
                None,
                "Days from phone verification to the application.",
                "days",
                "higher_is_safer",
                agg("max", _PROFILES, pit.age_days("phone_verified_at"), verified),
                "phone not verified before the application",
                definition_zh="手机号验证距申请时的天数",
            ),
        ]
        for w in self.windows:
            for k in self.change_kinds:
                out.append(
                    d(
                        f"ten_{k}_changes_{w}d",
                        w,
                        f"{k.capitalize()} changes in the last {w} days.",
                        "count",
                        "higher_is_riskier",
                        agg(
                            "count",
                            _CHANGES,
                            col("changed_at"),
                            col("kind").eq(k) & pit.within("changed_at", w),
                        ),
                        definition_zh=f"最近{w}天{_change_zh(k)}的次数",
                    )
                )
        return out


def _change_zh(kind: str) -> str:
    """A change kind in Chinese; unknown kinds as given, underscores read as spaces."""
    return _CHANGES_ZH.get(kind, f"变更「{kind.replace('_', ' ')}」")
