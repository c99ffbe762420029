from .kitti_anchor_generator import KittiSSDAnchorGenerator
from .le_hard_mining import le_hard_mining
from .loc_quality import (C2F_BIN_ANCHORS, C2F_BIN_EDGES, C2F_BIN_SCALES,
                          QUALITY_NAMES, c2f_decode, c2f_encode,
                          loc_quality_targets, value_to_bin)
from .samplers import LocQualitySampler

__all__ = [
    'C2F_BIN_ANCHORS', 'C2F_BIN_EDGES', 'C2F_BIN_SCALES',
    'KittiSSDAnchorGenerator', 'LocQualitySampler', 'QUALITY_NAMES',
    'c2f_decode', 'c2f_encode', 'le_hard_mining', 'loc_quality_targets',
    'value_to_bin'
]
