"""Social, transfer and referral links with homophily.

Users belong to communities whose members share the ``risky_network`` factor. A user
initiates a Poisson number of links (half as many for thin-file users); each stays
inside the community with probability ``homophily``, otherwise it goes to a random user.
Risky users therefore link to risky users, and a neighbour's default is informative.
A link appears after both ends registered; referral links appear when the later of the
two registered (the referral brought them in).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from thinfile_credit.synthetic.applications import Timeline
from thinfile_credit.synthetic.clock import last_moment, to_timestamps
from thinfile_credit.synthetic.config import MarketplaceConfig
from thinfile_credit.synthetic.users import LatentUsers

__all__ = ["EDGE_KINDS", "edges_frame"]

#: Link kinds and their shares.
EDGE_KINDS: tuple[str, ...] = ("social", "transfer", "referral")
_KIND_P = (0.6, 0.3, 0.1)


def edges_frame(
    cfg: MarketplaceConfig, users: LatentUsers, tl: Timeline, rng: np.random.Generator
) -> pl.DataFrame:
    """The ``edges`` table: one row per link, ``user_id`` the initiator.

    Self-links are dropped, and a pair is linked at most once per kind whichever
    direction it was drawn in (the key ``(user_id, peer_id, kind)`` stays unique and the
    graph is simple when read as undirected).

    Examples
    --------
    >>> from thinfile_credit.synthetic import make_marketplace
    >>> e = make_marketplace(300, backend="polars").tables.edges
    >>> bool((e["user_id"] != e["peer_id"]).all())
    True
    """
    n = users.n
    horizon = float(cfg.horizon_days)
    degree = rng.poisson(np.where(users.thin, 0.5, 1.0) * cfg.mean_degree)
    src = np.repeat(np.arange(n, dtype=np.int64), degree)
    m = len(src)

    # Members of each community, contiguous after a sort: pick one uniformly.
    by_comm = np.argsort(users.community, kind="stable")
    n_comm = int(users.community.max()) + 1 if n else 0
    size = np.bincount(users.community, minlength=n_comm)
    offset = np.cumsum(size) - size
    comm = users.community[src]
    inside = by_comm[offset[comm] + (rng.random(m) * size[comm]).astype(np.int64)]
    anywhere = rng.integers(0, n, size=m)
    dst = np.where(rng.random(m) < cfg.homophily, inside, anywhere)
    kind = rng.choice(len(EDGE_KINDS), size=m, p=_KIND_P).astype(np.int64)

    keep = src != dst
    src, dst, kind = src[keep], dst[keep], kind[keep]
    lo_end, hi_end = np.minimum(src, dst), np.maximum(src, dst)
    pair = (lo_end * n + hi_end) * len(EDGE_KINDS) + kind
    _, first = np.unique(pair, return_index=True)
    first.sort()
    src, dst, kind = src[first], dst[first], kind[first]

    both = np.maximum(tl.registered[src], tl.registered[dst])
    since = both + rng.random(len(src)) ** 1.5 * (horizon - both)
    referral = kind == EDGE_KINDS.index("referral")
    since[referral] = both[referral] + rng.random(int(referral.sum())) / 24.0
    since = np.minimum(since, last_moment(horizon))
    order = np.lexsort((kind, dst, src, since))
    return pl.DataFrame(
        {
            "user_id": users.user_id[src[order]],
            "peer_id": users.user_id[dst[order]],
            "kind": pl.Series(EDGE_KINDS).gather(kind[order]),
            "since": to_timestamps(cfg.start_date, since[order]),
        }
    )
