from .kitti_metric import KittiMetric
from .loc_quality_metric import LocQualityMetric

__all__ = ['KittiMetric', 'LocQualityMetric']
