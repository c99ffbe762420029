from .kitti_dataset import KittiDataset
from .kitti_utils import (format_kitti_result_line, parse_kitti_label_file,
                          parse_kitti_label_line, parse_kitti_label_text,
                          read_kitti_ids, read_png_size)

__all__ = [
    'KittiDataset', 'format_kitti_result_line', 'parse_kitti_label_file',
    'parse_kitti_label_line', 'parse_kitti_label_text', 'read_kitti_ids',
    'read_png_size'
]
