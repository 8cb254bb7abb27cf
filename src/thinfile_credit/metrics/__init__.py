"""Validation metrics: discrimination, rank-ordering tables, calibration, stability,
segment views and adverse-impact screening.

Everything takes NumPy-compatible arrays (lists, NumPy, pandas or Polars series) with the
outcome coded **1 = bad**, computes on NumPy, and is exact on tied scores. Scores are
PD-like (higher = riskier) unless ``higher_is_better=True`` says they are points.

Examples
--------
>>> from thinfile_credit.metrics import discrimination
>>> d = discrimination([0, 1, 0, 1], [0.1, 0.7, 0.4, 0.3])
>>> d.auc, d.gini
(0.75, 0.5)
"""

from thinfile_credit.metrics.calibration import (
    HosmerLemeshow,
    brier_score,
    calibration_table,
    hosmer_lemeshow,
)
from thinfile_credit.metrics.discrimination import (
    BootstrapCI,
    Discrimination,
    KSResult,
    auc,
    bootstrap_ci,
    discrimination,
    gini,
    ks,
)
from thinfile_credit.metrics.fairness import adverse_impact_ratio
from thinfile_credit.metrics.segments import segment_metrics, segment_table
from thinfile_credit.metrics.stability import PSI_THRESHOLDS, PSIResult, csi, psi, psi_flag
from thinfile_credit.metrics.tables import lift_table, score_band_table

__all__ = [
    "PSI_THRESHOLDS",
    "BootstrapCI",
    "Discrimination",
    "HosmerLemeshow",
    "KSResult",
    "PSIResult",
    "adverse_impact_ratio",
    "auc",
    "bootstrap_ci",
    "brier_score",
    "calibration_table",
    "csi",
    "discrimination",
    "gini",
    "hosmer_lemeshow",
    "ks",
    "lift_table",
    "psi",
    "psi_flag",
    "score_band_table",
    "segment_metrics",
    "segment_table",
]
