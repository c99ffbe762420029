"""PASCAL VOC with its annotations checked when they are read."""
import math
import xml.etree.ElementTree as ET
from typing import List

from mmdet.datasets import VOCDataset
from mmdet.registry import DATASETS

from .box_validation import (INVALID_BOX_MODES, InvalidBoxError, check_boxes,
                             log_invalid_boxes)
from .data_errors import NameDataFileMixin

#: The coordinate tags of a VOC ``<bndbox>``.
BNDBOX_TAGS = ('xmin', 'ymin', 'xmax', 'ymax')


def read_bndbox(obj: ET.Element) -> List[float]:
    """The raw coordinates of a VOC ``<object>``'s ``<bndbox>``.

    Args:
        obj (xml.etree.ElementTree.Element): The ``<object>`` element.

    Returns:
        list[float]: ``[xmin, ymin, xmax, ymax]`` as written (1-based, may
        be non-finite).

    Raises:
        ValueError: If ``<bndbox>`` or a coordinate is missing or is not a
            number.
    """
    bndbox = obj.find('bndbox')
    if bndbox is None:
        raise ValueError('no <bndbox>')
    coords = []
    for tag in BNDBOX_TAGS:
        element = bndbox.find(tag)
        text = None if element is None else element.text
        try:
            coords.append(float(text))
        except (TypeError, ValueError):
            raise ValueError(f'<{tag}> is {text!r}, not a number') from None
    return coords


@DATASETS.register_module()
class ValidatedVOCDataset(NameDataFileMixin, VOCDataset):
    """:class:`mmdet.datasets.VOCDataset` whose boxes are checked at load
    time and whose errors name their files.

    Every ground-truth box of the dataset's classes (``difficult`` ones
    included) is checked when the annotations are read: a non-finite
    coordinate, a zero or negative width or height (after mmdet's integer
    conversion and 1-based to 0-based shift, e.g. ``xmin == xmax``), or a box
    outside the image (its annotated ``<size>``, else the image file's size)
    is handled by ``invalid_boxes``:

    * ``'error'`` (default): raise
      :class:`~mmdet_led.datasets.box_validation.InvalidBoxError` naming
      the XML file and the object (1-based, in file order);
    * ``'clip'``: clip the box to the image, dropping it if it stays
      degenerate;
    * ``'drop'``: drop the box.

    Clipped and dropped boxes are counted in the log when loading ends and in
    ``invalid_box_counts``. A malformed XML (truncated, a missing element, a
    coordinate that is not a number) raises ``ValueError`` naming the file,
    and a sample whose image cannot be loaded (missing, empty, truncated)
    raises :class:`~mmdet_led.datasets.data_errors.DataFileError` naming the
    image and its XML.

    Args:
        invalid_boxes (str): ``'error'``, ``'clip'`` or ``'drop'``.
            Defaults to ``'error'``.
        **kwargs: :class:`mmdet.datasets.VOCDataset` arguments.
    """

    def __init__(self, invalid_boxes: str = 'error', **kwargs) -> None:
        if invalid_boxes not in INVALID_BOX_MODES:
            raise ValueError(f'invalid_boxes must be one of '
                             f'{INVALID_BOX_MODES}, got {invalid_boxes!r}')
        self.invalid_boxes = invalid_boxes
        self.invalid_box_counts = dict(clipped=0, dropped=0)
        self._files_with_invalid_boxes = 0
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        """Load the annotations and log the clipped/dropped boxes.

        Returns:
            list[dict]: The data infos.
        """
        self.invalid_box_counts = dict(clipped=0, dropped=0)
        self._files_with_invalid_boxes = 0
        data_list = super().load_data_list()
        log_invalid_boxes(
            type(self).__name__, self.invalid_boxes, self.invalid_box_counts,
            self._files_with_invalid_boxes)
        return data_list

    def parse_data_info(self, img_info: dict) -> dict:
        """Parse one annotation; errors name its XML file.

        Args:
            img_info (dict): ``img_id``, ``file_name`` and ``xml_path``.

        Returns:
            dict: The data info, with only valid (or clipped) boxes.

        Raises:
            InvalidBoxError: On an invalid box with ``invalid_boxes='error'``.
            ValueError: On a malformed XML file.
        """
        xml_path = img_info['xml_path']
        num_invalid = sum(self.invalid_box_counts.values())
        self._object_names = []
        try:
            data_info = super().parse_data_info(img_info)
        except InvalidBoxError as err:
            raise InvalidBoxError(f'{xml_path}: {err}') from None
        except ET.ParseError as err:
            raise ValueError(f'{xml_path}: malformed XML ({err})') from None
        except (AttributeError, LookupError, TypeError, ValueError,
                OverflowError) as err:
            raise ValueError(f'{xml_path}: cannot read the annotation '
                             f'({type(err).__name__}: {err})') from None
        # checked here, where the image size is known also for an
        # annotation without <size> (mmdet then reads it from the image)
        data_info['instances'] = self._apply_policy(
            data_info['instances'], data_info['width'], data_info['height'],
            xml_path, self._object_names)
        if sum(self.invalid_box_counts.values()) > num_invalid:
            self._files_with_invalid_boxes += 1
        return data_info

    def _parse_instance_info(self,
                             raw_ann_info: ET.ElementTree,
                             minus_one: bool = True) -> List[dict]:
        """mmdet's instances of one annotation, non-finite boxes handled.

        Objects with a non-finite coordinate are taken out of the tree before
        mmdet converts the coordinates to integers (which fails on them).
        The name of each returned instance's object (its index in file
        order) is left in ``_object_names`` for :meth:`parse_data_info`,
        which checks the converted boxes against the image size.

        Args:
            raw_ann_info (xml.etree.ElementTree.ElementTree): The annotation.
            minus_one (bool): Whether to subtract 1 from the coordinates.

        Returns:
            list[dict]: mmdet's instances of the objects with finite
            coordinates.
        """
        classes = self._metainfo['classes']
        root = raw_ann_info.getroot()
        names = []
        for index, obj in enumerate(raw_ann_info.findall('object')):
            if obj.find('name').text not in classes:
                continue
            name = f'object {index + 1}'
            try:
                raw = read_bndbox(obj)
            except ValueError as err:
                raise ValueError(f'{name}: {err}') from None
            if not all(math.isfinite(v) for v in raw):
                # raises in 'error' mode, else the box is dropped
                _, counts = check_boxes([raw], None, None,
                                        self.invalid_boxes, names=[name])
                self._count(counts)
                root.remove(obj)
                continue
            names.append(name)
        self._object_names = names
        return super()._parse_instance_info(raw_ann_info, minus_one)

    def _apply_policy(self, instances: List[dict], width: int, height: int,
                      source: str, names: List[str]) -> List[dict]:
        """Check the boxes of ``instances``; keep valid or clipped ones."""
        kept, counts = check_boxes([inst['bbox'] for inst in instances],
                                   width, height, self.invalid_boxes, source,
                                   names)
        self._count(counts)
        result = []
        for inst, bbox in zip(instances, kept):
            if bbox is not None:
                if bbox != inst['bbox']:
                    inst['bbox'] = bbox
                result.append(inst)
        return result

    def _count(self, counts: dict) -> None:
        for key, value in counts.items():
            self.invalid_box_counts[key] += value
