"""The aggregate parts, each computed from stored raw outputs: the val
sweep, scoring modes on the same weights, loc-quality calibration, the
ablation rows and the bootstrap confidence intervals."""
from .ablation import part_ablation
from .calibration import part_calibration
from .ci import part_ci
from .heads import part_heads
from .scoring import part_scoring, scoring_variants
from .sweep import part_sweep

__all__ = [
    'part_ablation', 'part_calibration', 'part_ci', 'part_heads',
    'part_scoring', 'part_sweep', 'scoring_variants'
]
