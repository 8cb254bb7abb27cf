"""Social-graph features from links between users (prefix ``soc_``)."""

from __future__ import annotations

from dataclasses import dataclass

from thinfile_credit.errors import SpecError
from thinfile_credit.features import pit
from thinfile_credit.features._expr import agg, col, over
from thinfile_credit.features.spec import FeatureDef, FeatureFamily, check_windows

__all__ = ["SocialFeatures"]

_EDGES = "edges"
_PEER_BILLS = "peer_bills"

#: Chinese names of the default link kinds (others are shown as given).
_KINDS_ZH = {"social": "社交", "transfer": "转账", "referral": "邀请推荐"}


@dataclass(frozen=True)
class SocialFeatures(FeatureFamily):
    """The applicant's links to other users and what was known about them at ``t``.

    Links are undirected: an edge ``(a, b, kind)`` makes ``b`` a neighbour of ``a`` and
    ``a`` a neighbour of ``b``, from ``since`` on (strictly before ``t``). A neighbour's
    **known default** counts only when observed strictly before ``t``: one of the
    neighbour's loan instalments was ``default_dpd`` days past due without having been
    paid in full before that moment (:func:`thinfile_credit.features.pit.default_moments`).
    A neighbour's on-time share uses their bills due strictly before ``t``.

    Parameters
    ----------
    kinds : tuple of str, default ("social", "transfer", "referral")
        Link kinds given their own degree feature ``soc_degree_<kind>``.
    default_dpd : int, default 90
        Days past due at which a neighbour's unpaid instalment is a known default.
    recent_days : int, default 30
        Window of ``soc_new_edges_<recent_days>d``.

    Examples
    --------
    >>> SocialFeatures().feature_names[:2]
    ['soc_degree_social', 'soc_degree_transfer']
    """

    kinds: tuple[str, ...] = ("social", "transfer", "referral")
    default_dpd: int = 90
    recent_days: int = 30

    prefix = "soc"
    family = "social"

    def __post_init__(self) -> None:
        kinds = self.kinds
        if isinstance(kinds, str) or not all(
            isinstance(k, str) and k.isidentifier() for k in kinds
        ):
            raise SpecError("SocialFeatures.kinds must be a tuple of identifier-like strings")
        if len(set(kinds)) != len(tuple(kinds)):
            raise SpecError("SocialFeatures.kinds has repeats")
        object.__setattr__(self, "kinds", tuple(kinds))
        check_windows((self.default_dpd,), "SocialFeatures.default_dpd")
        check_windows((self.recent_days,), "SocialFeatures.recent_days")

    def features(self) -> list[FeatureDef]:
        """Degrees by kind, then default exposure, neighbours' payment habits, new links."""
        d = self._def
        peer = col("peer_id")
        out = [
            d(
                f"soc_degree_{k}",
                None,
                f"Distinct neighbours linked by {k} links.",
                "count",
                "neutral",
                agg("nunique", _EDGES, peer, col("kind").eq(k)),
                definition_zh=f"通过{_kind_zh(k)}关系关联的不同用户数",
            )
            for k in self.kinds
        ]
        degree = agg("nunique", _EDGES, peer)
        defaulted = col("peer_default_at") < pit.T
        n_default = agg("nunique", _EDGES, peer, defaulted)
        n_bills = over("sum", (~col("due_at").is_null()).to_float(), by=("peer_id",))
        ontime = over("sum", pit.paid_in_full_by(col("due_at")).to_float(), by=("peer_id",))
        share_per_row = ontime / n_bills / n_bills
        none = "no neighbour before the application"
        out += [
            d(
                "soc_degree_total",
                None,
                "Distinct neighbours over all link kinds.",
                "count",
                "neutral",
                degree,
                definition_zh="通过各类关系关联的不同用户总数",
            ),
            d(
                "soc_default_neighbour_count",
                None,
                f"Neighbours with a known default ({self.default_dpd}+ days past due) observed "
                "before the application.",
                "count",
                "higher_is_riskier",
                n_default,
                definition_zh=f"申请前已知发生违约（逾期{self.default_dpd}天及以上未还清）的"
                "关联用户数",
            ),
            d(
                "soc_default_neighbour_share",
                None,
                "Share of neighbours with a known default observed before the application.",
                "share",
                "higher_is_riskier",
                n_default / degree,
                none,
                definition_zh="关联用户中申请前已知发生违约的占比",
            ),
            d(
                "soc_neighbour_ontime_share_mean",
                None,
                "Mean over neighbours (with bills due before the application) of their share "
                "of bills paid in full on time.",
                "share",
                "higher_is_safer",
                agg("sum", _PEER_BILLS, share_per_row) / agg("nunique", _PEER_BILLS, peer),
                "no neighbour with a bill due before the application",
                definition_zh="关联用户（申请前有到期账单的）各自按期全额还清账单比例的平均值",
            ),
            d(
                f"soc_new_edges_{self.recent_days}d",
                self.recent_days,
                f"Links first observed in the last {self.recent_days} days.",
                "count",
                "higher_is_riskier",
                agg("count", _EDGES, col("since"), pit.within("since", self.recent_days)),
                definition_zh=f"最近{self.recent_days}天新出现的关联关系数",
            ),
        ]
        return out


def _kind_zh(kind: str) -> str:
    """A link kind in Chinese; unknown kinds as given, underscores read as spaces."""
    return _KINDS_ZH.get(kind, f"「{kind.replace('_', ' ')}」")
