"""Load-time checks of ground-truth boxes, shared by the VOC and KITTI sets.

One degenerate box turns a whole SSD/LED model into NaN: a zero-width box
has an infinite regression target (``log(0)``). The datasets therefore check
every box when they read the annotations and, depending on their
``invalid_boxes`` option, raise an error naming the file and the object,
clip the box to the image, or drop it:

* ``'error'`` (the default): raise :class:`InvalidBoxError`.
* ``'clip'``: clip the box to the image; a box that is still degenerate
  after clipping (zero or negative size, non-finite coordinate) is dropped.
* ``'drop'``: drop every invalid box.

Boxes are ``[x1, y1, x2, y2]`` in mmdet's continuous pixel coordinates: a box
is valid when its coordinates are finite, ``x2 > x1``, ``y2 > y1`` and it
lies within ``[0, width] x [0, height]``.
"""
import logging
import math
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

#: The values of the datasets' ``invalid_boxes`` option.
INVALID_BOX_MODES = ('error', 'clip', 'drop')


class InvalidBoxError(ValueError):
    """A ground-truth box that is degenerate, non-finite or outside its
    image; the message names the annotation file and the object."""


def box_problem(bbox: Sequence[float], width: Optional[float],
                height: Optional[float]) -> Optional[str]:
    """What is wrong with a box, or None if it is valid.

    Args:
        bbox (Sequence[float]): ``[x1, y1, x2, y2]``.
        width (float, optional): Image width; None skips the image check.
        height (float, optional): Image height; None skips the image check.

    Returns:
        str | None: A short description of the first problem found.
    """
    x1, y1, x2, y2 = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        return 'non-finite coordinate'
    if x2 <= x1:
        return f'zero or negative width (x2 - x1 = {x2 - x1:g})'
    if y2 <= y1:
        return f'zero or negative height (y2 - y1 = {y2 - y1:g})'
    if width is not None and height is not None and (
            x1 < 0 or y1 < 0 or x2 > width or y2 > height):
        return f'outside the {width:g}x{height:g} image'
    return None


def clip_box(bbox: Sequence[float], width: float,
             height: float) -> List[float]:
    """Clip a box to ``[0, width] x [0, height]``.

    Args:
        bbox (Sequence[float]): ``[x1, y1, x2, y2]``.
        width (float): Image width.
        height (float): Image height.

    Returns:
        list[float]: The clipped box (may be degenerate).
    """
    x1, y1, x2, y2 = (float(v) for v in bbox)
    return [
        min(max(x1, 0.), width),
        min(max(y1, 0.), height),
        min(max(x2, 0.), width),
        min(max(y2, 0.), height)
    ]


def check_boxes(boxes: Sequence[Sequence[float]],
                width: Optional[float],
                height: Optional[float],
                mode: str = 'error',
                source: Optional[str] = None,
                names: Optional[Sequence[str]] = None
                ) -> Tuple[List[Optional[List[float]]], Dict[str, int]]:
    """Check the boxes of one image and apply ``mode`` to the invalid ones.

    Args:
        boxes (Sequence[Sequence[float]]): ``[x1, y1, x2, y2]`` per object.
        width (float, optional): Image width (None: not checked).
        height (float, optional): Image height (None: not checked).
        mode (str): ``'error'``, ``'clip'`` or ``'drop'``.
        source (str, optional): The annotation file, named first in the
            error message.
        names (Sequence[str], optional): How to name each object in the
            message (e.g. ``'object 3'``, ``'line 7'``); by default
            ``'object <i>'``, 1-based.

    Returns:
        tuple[list, dict]: For each box, the box to use (the original or
        the clipped one) or None if it is dropped; and the counts
        ``{'clipped': n, 'dropped': n}``.

    Raises:
        InvalidBoxError: In ``'error'`` mode, on the first invalid box.
    """
    if mode not in INVALID_BOX_MODES:
        raise ValueError(f'invalid_boxes must be one of {INVALID_BOX_MODES}, '
                         f'got {mode!r}')
    kept: List[Optional[List[float]]] = []
    counts = dict(clipped=0, dropped=0)
    for i, bbox in enumerate(boxes):
        problem = box_problem(bbox, width, height)
        if problem is None:
            kept.append([float(v) for v in bbox])
            continue
        if mode == 'error':
            name = names[i] if names is not None else f'object {i + 1}'
            where = f'{source}: {name}' if source else name
            raise InvalidBoxError(
                f'{where}: invalid box {list(bbox)}: {problem}. '
                "Fix the annotation, or set the dataset's invalid_boxes="
                "'clip' or 'drop'")
        if mode == 'clip' and width is not None and height is not None:
            clipped = clip_box(bbox, width, height)
            if box_problem(clipped, width, height) is None:
                kept.append(clipped)
                counts['clipped'] += 1
                continue
        kept.append(None)
        counts['dropped'] += 1
    return kept, counts


def log_invalid_boxes(dataset: str, mode: str, counts: Dict[str, int],
                      num_files: int) -> None:
    """Log how many invalid boxes a dataset clipped or dropped.

    Args:
        dataset (str): Dataset name for the message.
        mode (str): The dataset's ``invalid_boxes``.
        counts (dict): ``{'clipped': n, 'dropped': n}`` over the dataset.
        num_files (int): Number of annotation files with an invalid box.
    """
    if counts['clipped'] or counts['dropped']:
        print_log(
            f'{dataset}: invalid ground-truth boxes in {num_files} '
            f"annotation file(s): {counts['clipped']} clipped to the image, "
            f"{counts['dropped']} dropped (invalid_boxes={mode!r})",
            logger='current',
            level=logging.WARNING)
