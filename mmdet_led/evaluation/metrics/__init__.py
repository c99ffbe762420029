from .kitti_metric import KittiMetric

__all__ = ['KittiMetric']
