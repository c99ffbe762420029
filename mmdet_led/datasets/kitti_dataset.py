"""KITTI object benchmark (2D boxes) in the official folder layout."""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.fileio import get_local_path

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS

from .box_validation import (INVALID_BOX_MODES, check_boxes,
                             log_invalid_boxes)
from .data_errors import NameDataFileMixin
from .kitti_utils import (KITTI_NEIGHBOUR_TYPES, list_kitti_ids,
                          parse_kitti_label_file, read_kitti_ids,
                          read_png_size)

#: Default drawing colours of the KITTI types (RGB).
KITTI_PALETTE = {
    'Car': (0, 142, 0),
    'Van': (0, 90, 160),
    'Truck': (160, 90, 0),
    'Pedestrian': (220, 20, 60),
    'Person_sitting': (255, 120, 160),
    'Cyclist': (119, 11, 32),
    'Tram': (100, 80, 200),
    'Misc': (128, 128, 128),
}


@DATASETS.register_module()
class KittiDataset(NameDataFileMixin, BaseDetDataset):
    """KITTI object detection dataset (2D boxes of ``label_2``).

    Reads the official layout ``training/image_2/<id>.png`` and
    ``training/label_2/<id>.txt``; the ids come from ``ann_file`` (one id per
    line, e.g. ``ImageSets/train.txt`` written by ``tools/kitti_split.py``),
    or, when ``ann_file`` is empty, from the image folder.

    Each data info holds ``img_path``, ``img_id``, ``width``, ``height``
    (from the PNG header, no decoding), ``instances`` and ``kitti_annos``:

    * ``instances``: every label of the chosen ``classes`` (``ignore_flag=0``)
      and, as ignore regions (``ignore_flag=1``, which ``PackDetInputs`` puts
      into ``ignored_instances``), the labels the official evaluation
      ignores: ``DontCare`` (``bbox_label=-1``) and the neighbouring type of
      a chosen class (Van for Car, Person_sitting for Pedestrian; with the
      label of that class). Other types are left out.
    * ``kitti_annos``: every label line of the image as parsed by
      :func:`~mmdet_led.datasets.kitti_utils.parse_kitti_label_file` (type,
      truncated, occluded, bbox, ...), so that ``KittiMetric`` can apply the
      difficulty rules; add ``'kitti_annos'`` to the ``meta_keys`` of
      ``PackDetInputs`` in the test pipeline. It is ``None`` without labels.

    The boxes of ``instances`` (ignore regions included) are checked when
    the labels are read: a zero or negative width or height (``x2 <= x1``,
    ``y2 <= y1``) or a box outside the image is handled by
    ``invalid_boxes`` (see :mod:`~mmdet_led.datasets.box_validation`):
    ``'error'`` raises ``InvalidBoxError`` naming the label file and the
    object (1-based, in file order), ``'clip'`` clips to the image (dropping
    what stays degenerate), ``'drop'`` drops the box; clipped and dropped
    boxes are counted in the log and in ``invalid_box_counts``.
    ``kitti_annos`` keeps the label lines as written. Label lines that are
    malformed (missing or non-numeric fields) always raise ``ValueError``
    naming the file and line, and a sample whose image cannot be loaded
    raises :class:`~mmdet_led.datasets.data_errors.DataFileError` naming it.

    Args:
        img_suffix (str): Image file suffix. Defaults to ``'.png'``.
        load_ignore_regions (bool): Whether to add the DontCare and
            neighbouring-type ignore regions to ``instances``.
            Defaults to True.
        invalid_boxes (str): ``'error'``, ``'clip'`` or ``'drop'``.
            Defaults to ``'error'``.
        **kwargs: :class:`mmdet.datasets.BaseDetDataset` arguments, e.g.
            ``data_root='data/kitti/'``, ``ann_file='ImageSets/val.txt'``,
            ``data_prefix=dict(img='training/image_2',
            ann='training/label_2')`` (leave out ``ann`` for the unlabelled
            test split), ``metainfo=dict(classes=('Car', 'Pedestrian'))``.
    """

    METAINFO = {'classes': ('Car', ), 'palette': [KITTI_PALETTE['Car']]}

    def __init__(self,
                 img_suffix: str = '.png',
                 load_ignore_regions: bool = True,
                 invalid_boxes: str = 'error',
                 **kwargs) -> None:
        if invalid_boxes not in INVALID_BOX_MODES:
            raise ValueError(f'invalid_boxes must be one of '
                             f'{INVALID_BOX_MODES}, got {invalid_boxes!r}')
        self.img_suffix = img_suffix
        self.load_ignore_regions = load_ignore_regions
        self.invalid_boxes = invalid_boxes
        self.invalid_box_counts = dict(clipped=0, dropped=0)
        super().__init__(**kwargs)

    @classmethod
    def _load_metainfo(cls, metainfo: Optional[dict] = None) -> dict:
        """Load metainfo; give each configured class a palette colour.

        Args:
            metainfo (dict, optional): User metainfo, e.g. ``classes``.

        Returns:
            dict: The dataset metainfo.
        """
        meta = super()._load_metainfo(metainfo)
        classes = tuple(meta['classes'])
        if len(meta.get('palette', [])) != len(classes):
            meta['palette'] = [
                KITTI_PALETTE.get(c, (255, 255, 0)) for c in classes
            ]
        return meta

    @property
    def ann_dir(self) -> Optional[str]:
        """str | None: The label folder, None for unlabelled data."""
        return self.data_prefix.get('ann') or None

    def _read_ids(self) -> List[str]:
        """Read the image ids from ``ann_file`` or the image folder.

        Returns:
            list[str]: Image ids such as ``'000042'``.
        """
        if self.ann_file:
            with get_local_path(
                    self.ann_file, backend_args=self.backend_args) as path:
                return read_kitti_ids(path)
        return list_kitti_ids(self.data_prefix['img'], self.img_suffix)

    def load_data_list(self) -> List[dict]:
        """Load the data infos of all images of the split.

        Returns:
            list[dict]: One data info per image id, in list order.
        """
        classes = self._metainfo.get('classes', None)
        assert classes, '`classes` in `KittiDataset` can not be empty.'
        self.cat2label = {cat: i for i, cat in enumerate(classes)}
        self.invalid_box_counts = dict(clipped=0, dropped=0)
        data_list = []
        num_files = 0
        for img_id in self._read_ids():
            num_invalid = sum(self.invalid_box_counts.values())
            data_list.append(self.parse_data_info(img_id))
            num_files += sum(self.invalid_box_counts.values()) > num_invalid
        log_invalid_boxes(
            type(self).__name__, self.invalid_boxes, self.invalid_box_counts,
            num_files)
        return data_list

    def parse_data_info(self, img_id: str) -> dict:
        """Build the data info of one image.

        Args:
            img_id (str): Image id, the file name without suffix.

        Returns:
            dict: ``img_path``, ``img_id``, ``width``, ``height``,
            ``instances`` and ``kitti_annos``.

        Raises:
            FileNotFoundError: If the image or its label file is missing.
            ValueError: If a label line is malformed.
            InvalidBoxError: On an invalid box with
                ``invalid_boxes='error'``.
        """
        img_path = osp.join(self.data_prefix['img'],
                            f'{img_id}{self.img_suffix}')
        with get_local_path(
                img_path, backend_args=self.backend_args) as local_path:
            width, height = read_png_size(local_path)
        data_info = dict(
            img_path=img_path,
            img_id=img_id,
            width=width,
            height=height,
            instances=[],
            kitti_annos=None)
        if self.ann_dir is not None:
            ann_path = osp.join(self.ann_dir, f'{img_id}.txt')
            with get_local_path(
                    ann_path, backend_args=self.backend_args) as local_path:
                annos = parse_kitti_label_file(
                    local_path, with_score=False, check_box=False)
            data_info['kitti_annos'] = annos
            data_info['instances'] = self._parse_instances(
                annos, width, height, ann_path)
        return data_info

    def _ignore_label(self, obj_type: str) -> Optional[int]:
        """Label of an ignore region of type ``obj_type``.

        Args:
            obj_type (str): KITTI object type.

        Returns:
            int | None: -1 for DontCare, the class label for a neighbouring
            type of a chosen class, None if the type is not an ignore region.
        """
        if obj_type == 'DontCare':
            return -1
        for cls, neighbours in KITTI_NEIGHBOUR_TYPES.items():
            if cls in self.cat2label and obj_type in neighbours:
                return self.cat2label[cls]
        return None

    def _parse_instances(self,
                         annos: Sequence[dict],
                         width: Optional[int] = None,
                         height: Optional[int] = None,
                         source: Optional[str] = None) -> List[dict]:
        """Turn parsed label lines into mmdet instances, checking the boxes.

        Args:
            annos (Sequence[dict]): Parsed label lines of one image.
            width (int, optional): Image width (None: not checked).
            height (int, optional): Image height (None: not checked).
            source (str, optional): The label file, for error messages.

        Returns:
            list[dict]: Instances with ``bbox``, ``bbox_label`` and
            ``ignore_flag``.
        """
        chosen = []  # (1-based object index, anno, label, ignore flag)
        for index, anno in enumerate(annos, start=1):
            obj_type = anno['type']
            if obj_type in self.cat2label:
                chosen.append((index, anno, self.cat2label[obj_type], 0))
            elif self.load_ignore_regions:
                label = self._ignore_label(obj_type)
                if label is not None:
                    chosen.append((index, anno, label, 1))
        kept, counts = check_boxes([c[1]['bbox'] for c in chosen], width,
                                   height, self.invalid_boxes, source,
                                   [f'object {c[0]}' for c in chosen])
        for key, value in counts.items():
            self.invalid_box_counts[key] += value
        return [
            dict(bbox=bbox, bbox_label=label, ignore_flag=ignore)
            for (_, _, label, ignore), bbox in zip(chosen, kept)
            if bbox is not None
        ]

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category labels of an image, without DontCare regions.

        Args:
            idx (int): Index of the data info.

        Returns:
            list[int]: Labels of the instances with a class (ignored
            neighbouring-type regions included, as mmdet's COCO does for
            crowd boxes).
        """
        return [
            inst['bbox_label']
            for inst in self.get_data_info(idx)['instances']
            if inst['bbox_label'] >= 0
        ]

    def filter_data(self) -> List[dict]:
        """Filter images according to ``filter_cfg``.

        ``filter_empty_gt=True`` drops images without any non-ignored
        instance; ``min_size`` drops images whose shorter side is smaller.
        Nothing is filtered in test mode.

        Returns:
            list[dict]: The kept data infos.
        """
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        filter_empty_gt = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept = []
        for info in self.data_list:
            has_gt = any(not inst['ignore_flag'] for inst in info['instances'])
            if filter_empty_gt and not has_gt:
                continue
            if min(info['width'], info['height']) >= min_size:
                kept.append(info)
        return kept
