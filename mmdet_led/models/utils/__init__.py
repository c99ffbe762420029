from .le_scoring import (SCORE_MODES, combine_scores, derived_iou,
                         loc_confidence, power_scores)

__all__ = [
    'SCORE_MODES', 'combine_scores', 'derived_iou', 'loc_confidence',
    'power_scores'
]
