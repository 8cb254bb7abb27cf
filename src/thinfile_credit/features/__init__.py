"""Point-in-time e-commerce features for thin-file credit scoring.

Feature families (consumption, bills, loans, social graph, tenure, thin-file
indicators) are small specs; :class:`FeatureBuilder` combines them and computes one row
per application as known strictly before its moment, on Polars (batch), Spark (PySpark
input) or NumPy (one applicant online) from the same definitions.

Examples
--------
>>> from thinfile_credit.features import FeatureBuilder
>>> fb = FeatureBuilder()
>>> fb.feature_names_[0], fb.feature_names_[-1]
('cons_order_count_30d', 'thin_file')
"""

from thinfile_credit.features import pit
from thinfile_credit.features.bills import BillFeatures
from thinfile_credit.features.builder import FeatureBuilder
from thinfile_credit.features.consumption import DEFAULT_ESSENTIAL_CATEGORIES, ConsumptionFeatures
from thinfile_credit.features.dictionary import describe
from thinfile_credit.features.loans import LoanFeatures
from thinfile_credit.features.social import SocialFeatures
from thinfile_credit.features.spec import DEFAULT_WINDOWS, FeatureDef, FeatureFamily
from thinfile_credit.features.tenure import TenureFeatures
from thinfile_credit.features.thin_file import ThinFileFeatures
from thinfile_credit.features.transformer import FeatureTransformer

__all__ = [
    "DEFAULT_ESSENTIAL_CATEGORIES",
    "DEFAULT_WINDOWS",
    "BillFeatures",
    "ConsumptionFeatures",
    "FeatureBuilder",
    "FeatureDef",
    "FeatureFamily",
    "FeatureTransformer",
    "LoanFeatures",
    "SocialFeatures",
    "TenureFeatures",
    "ThinFileFeatures",
    "describe",
    "pit",
]
