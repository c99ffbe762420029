from .box_validation import (INVALID_BOX_MODES, InvalidBoxError, box_problem,
                             check_boxes, clip_box)
from .data_errors import DataFileError, NameDataFileMixin, image_file_problem
from .kitti_dataset import KittiDataset
from .kitti_utils import (format_kitti_result_line, parse_kitti_label_file,
                          parse_kitti_label_line, parse_kitti_label_text,
                          read_kitti_ids, read_png_size)
from .validated_voc import ValidatedVOCDataset, read_bndbox

__all__ = [
    'INVALID_BOX_MODES', 'InvalidBoxError', 'box_problem', 'check_boxes',
    'clip_box', 'DataFileError', 'NameDataFileMixin', 'image_file_problem',
    'ValidatedVOCDataset', 'read_bndbox', 'KittiDataset', 'format_kitti_result_line', 'parse_kitti_label_file',
    'parse_kitti_label_line', 'parse_kitti_label_text', 'read_kitti_ids',
    'read_png_size'
]
