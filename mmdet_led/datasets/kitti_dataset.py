"""KITTI object benchmark (2D boxes) in the official folder layout."""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.fileio import get_local_path

from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS

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
class KittiDataset(BaseDetDataset):
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

    Args:
        img_suffix (str): Image file suffix. Defaults to ``'.png'``.
        load_ignore_regions (bool): Whether to add the DontCare and
            neighbouring-type ignore regions to ``instances``.
            Defaults to True.
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
                 **kwargs) -> None:
        self.img_suffix = img_suffix
        self.load_ignore_regions = load_ignore_regions
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
        return [self.parse_data_info(img_id) for img_id in self._read_ids()]

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
                annos = parse_kitti_label_file(local_path, with_score=False)
            data_info['kitti_annos'] = annos
            data_info['instances'] = self._parse_instances(annos)
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

    def _parse_instances(self, annos: Sequence[dict]) -> List[dict]:
        """Turn parsed label lines into mmdet instances.

        Args:
            annos (Sequence[dict]): Parsed label lines of one image.

        Returns:
            list[dict]: Instances with ``bbox``, ``bbox_label`` and
            ``ignore_flag``.
        """
        instances = []
        for anno in annos:
            obj_type = anno['type']
            if obj_type in self.cat2label:
                label, ignore = self.cat2label[obj_type], 0
            elif self.load_ignore_regions:
                label, ignore = self._ignore_label(obj_type), 1
                if label is None:
                    continue
            else:
                continue
            instances.append(
                dict(
                    bbox=list(anno['bbox']),
                    bbox_label=label,
                    ignore_flag=ignore))
        return instances

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
