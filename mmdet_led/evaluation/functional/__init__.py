from .kitti_eval import (KITTI_DIFFICULTIES, KITTI_MIN_OVERLAP,
                         average_precision_r11, average_precision_r40,
                         format_kitti_table, get_thresholds, image_box_overlap,
                         kitti_eval_2d)

__all__ = [
    'KITTI_DIFFICULTIES', 'KITTI_MIN_OVERLAP', 'average_precision_r11',
    'average_precision_r40', 'format_kitti_table', 'get_thresholds',
    'image_box_overlap', 'kitti_eval_2d'
]
