from .le_ranking_loss import LERankingLoss, within_object_ranking_loss
from .sharp_l2_loss import SharpL2Loss, sharp_l2_loss

__all__ = [
    'LERankingLoss', 'SharpL2Loss', 'sharp_l2_loss',
    'within_object_ranking_loss'
]
