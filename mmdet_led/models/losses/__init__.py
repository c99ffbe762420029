from .sharp_l2_loss import SharpL2Loss, sharp_l2_loss

__all__ = ['SharpL2Loss', 'sharp_l2_loss']
