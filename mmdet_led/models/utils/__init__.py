from .le_scoring import (SCORE_MODES, combine_scores, derived_iou,
                         keep_above, loc_confidence, power_scores)

__all__ = [
    'SCORE_MODES', 'combine_scores', 'derived_iou', 'keep_above',
    'loc_confidence', 'power_scores'
]
