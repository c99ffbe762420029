"""Pure helpers for the KITTI object format (labels, results, PNG sizes).

A KITTI object label line has 15 space separated fields, a result line has a
16th one, the detection score::

    type truncated occluded alpha x1 y1 x2 y2 h w l x y z ry [score]

These helpers have no MMDetection dependency; the dataset, the metric and the
command line tools all use them so that a file is read the same way
everywhere.
"""
import math
import os
import os.path as osp
import struct
from typing import List, Optional, Sequence, Tuple

from .data_errors import DataFileError, image_file_problem

#: The object types of the KITTI object benchmark labels.
KITTI_TYPES = ('Car', 'Van', 'Truck', 'Pedestrian', 'Person_sitting',
               'Cyclist', 'Tram', 'Misc', 'DontCare')

#: "Neighbouring" types that the official devkit ignores (neither TP nor FN)
#: when evaluating a class: Van for Car, Person_sitting for Pedestrian.
KITTI_NEIGHBOUR_TYPES = {'Car': ('Van', ), 'Pedestrian': ('Person_sitting', )}

#: Number of fields of a label line and of a result line.
NUM_LABEL_FIELDS = 15
NUM_RESULT_FIELDS = 16

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def _to_float(token: str, name: str) -> float:
    """Convert one field to a finite float.

    Args:
        token (str): The text of the field.
        name (str): The field name, used in the error message.

    Returns:
        float: The value.
    """
    try:
        value = float(token)
    except ValueError:
        raise ValueError(f'field {name!r} is not a number: {token!r}')
    if not math.isfinite(value):
        raise ValueError(f'field {name!r} is not finite: {token!r}')
    return value


def _to_int(token: str, name: str) -> int:
    """Convert one field to an integer (``'1'`` or ``'1.0'``).

    Args:
        token (str): The text of the field.
        name (str): The field name, used in the error message.

    Returns:
        int: The value.
    """
    value = _to_float(token, name)
    if not value.is_integer():
        raise ValueError(f'field {name!r} is not an integer: {token!r}')
    return int(value)


def parse_kitti_label_line(line: str,
                           with_score: Optional[bool] = None,
                           check_box: bool = True) -> dict:
    """Parse one line of a KITTI label or result file.

    Args:
        line (str): The line, 15 fields (label) or 16 fields (result).
        with_score (bool, optional): ``True`` requires the 16th (score)
            field, ``False`` forbids it, ``None`` accepts both.
            Defaults to None.
        check_box (bool): Whether a box with ``x2 < x1`` or ``y2 < y1`` is
            an error. ``KittiDataset`` turns it off and applies its own box
            checks (``invalid_boxes``). Defaults to True.

    Returns:
        dict: ``type`` (str), ``truncated`` (float), ``occluded`` (int),
        ``alpha`` (float), ``bbox`` (list of 4 floats, x1 y1 x2 y2 in
        pixels), ``dimensions`` (h, w, l), ``location`` (x, y, z),
        ``rotation_y`` (float) and ``score`` (float, only for result lines).

    Raises:
        ValueError: On a wrong number of fields, a value that is not a
            number, or (with ``check_box``) a box with ``x2 < x1`` or
            ``y2 < y1``.
    """
    fields = line.split()
    if with_score is None:
        allowed: Tuple[int, ...] = (NUM_LABEL_FIELDS, NUM_RESULT_FIELDS)
    elif with_score:
        allowed = (NUM_RESULT_FIELDS, )
    else:
        allowed = (NUM_LABEL_FIELDS, )
    if len(fields) not in allowed:
        raise ValueError(f'expected {" or ".join(map(str, allowed))} fields, '
                         f'got {len(fields)}')
    bbox = [
        _to_float(tok, name)
        for tok, name in zip(fields[4:8], ('x1', 'y1', 'x2', 'y2'))
    ]
    if check_box and (bbox[2] < bbox[0] or bbox[3] < bbox[1]):
        raise ValueError(f'invalid box (x2 < x1 or y2 < y1): {bbox}')
    anno = dict(
        type=fields[0],
        truncated=_to_float(fields[1], 'truncated'),
        occluded=_to_int(fields[2], 'occluded'),
        alpha=_to_float(fields[3], 'alpha'),
        bbox=bbox,
        dimensions=[
            _to_float(tok, name) for tok, name in zip(fields[8:11], 'hwl')
        ],
        location=[
            _to_float(tok, name) for tok, name in zip(fields[11:14], 'xyz')
        ],
        rotation_y=_to_float(fields[14], 'rotation_y'))
    if len(fields) == NUM_RESULT_FIELDS:
        anno['score'] = _to_float(fields[15], 'score')
    return anno


def parse_kitti_label_text(text: str,
                           source: str = '<text>',
                           with_score: Optional[bool] = None,
                           check_box: bool = True) -> List[dict]:
    """Parse the content of a KITTI label or result file.

    Blank lines are skipped; an empty text gives an empty list.

    Args:
        text (str): The file content.
        source (str): Name of the file, used in error messages.
        with_score (bool, optional): See :func:`parse_kitti_label_line`.
        check_box (bool): See :func:`parse_kitti_label_line`.

    Returns:
        list[dict]: One dict per object line, in file order.

    Raises:
        ValueError: On a malformed line, naming ``source`` and the 1-based
            line number.
    """
    annos = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            annos.append(
                parse_kitti_label_line(
                    line, with_score=with_score, check_box=check_box))
        except ValueError as err:
            raise ValueError(f'{source}, line {lineno}: {err}') from None
    return annos


def parse_kitti_label_file(path: str,
                           with_score: Optional[bool] = None,
                           check_box: bool = True) -> List[dict]:
    """Read a KITTI label (``label_2/<id>.txt``) or result file.

    Args:
        path (str): Path of the text file.
        with_score (bool, optional): See :func:`parse_kitti_label_line`.
        check_box (bool): See :func:`parse_kitti_label_line`.

    Returns:
        list[dict]: One dict per object line (see
        :func:`parse_kitti_label_line`).

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: On a malformed line, naming the file and line number,
            or on a file that is not UTF-8 text, naming the file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'KITTI label file not found: {path}')
    with open(path, encoding='utf-8') as f:
        try:
            text = f.read()
        except UnicodeDecodeError as err:
            raise ValueError(
                f'{path}: not a UTF-8 text file ({err})') from None
    return parse_kitti_label_text(
        text, source=path, with_score=with_score, check_box=check_box)


def format_kitti_result_line(obj_type: str, bbox: Sequence[float],
                             score: float) -> str:
    """Format one 2D detection as a KITTI result line (16 fields).

    The 3D fields are unknown and written as the devkit's "invalid" values:
    alpha -10, dimensions -1, location -1000, rotation_y -10.

    Args:
        obj_type (str): Object type, e.g. ``'Car'``.
        bbox (Sequence[float]): ``x1, y1, x2, y2`` in original image pixels.
        score (float): Detection score.

    Returns:
        str: The line, without a newline.
    """
    x1, y1, x2, y2 = (float(v) for v in bbox)
    return (f'{obj_type} -1 -1 -10 {x1:.4f} {y1:.4f} {x2:.4f} {y2:.4f} '
            f'-1 -1 -1 -1000 -1000 -1000 -10 {float(score):.6f}')


def read_kitti_ids(path: str) -> List[str]:
    """Read an image-id list (one id per line, blank lines skipped).

    Args:
        path (str): Path of the list file.

    Returns:
        list[str]: The ids, in file order.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ValueError: If an id occurs twice or a line holds more than one
            token.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'KITTI id list not found: {path}')
    ids: List[str] = []
    seen = set()
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, start=1):
            tokens = line.split()
            if not tokens:
                continue
            if len(tokens) != 1:
                raise ValueError(
                    f'{path}, line {lineno}: expected one id, got {line!r}')
            if tokens[0] in seen:
                raise ValueError(
                    f'{path}, line {lineno}: duplicate id {tokens[0]!r}')
            seen.add(tokens[0])
            ids.append(tokens[0])
    return ids


def list_kitti_ids(folder: str, suffix: str = '.txt') -> List[str]:
    """List the ids of the files with ``suffix`` in a folder, sorted.

    Args:
        folder (str): A ``label_2`` or ``image_2`` folder.
        suffix (str): File suffix. Defaults to ``'.txt'``.

    Returns:
        list[str]: File names without the suffix, sorted.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'folder not found: {folder}')
    return sorted(name[:-len(suffix)] for name in os.listdir(folder)
                  if name.endswith(suffix))


def read_png_size(path: str) -> Tuple[int, int]:
    """Read the size of a PNG image from its header (no decoding).

    Falls back to PIL (which also reads only the header) for other formats.

    Args:
        path (str): Path of the image.

    Returns:
        tuple[int, int]: ``(width, height)``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        DataFileError: If no size can be read from it (an empty file, a
            cut-off header, another kind of file), naming it and what is
            wrong.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'KITTI image not found: {path}')
    with open(path, 'rb') as f:
        head = f.read(24)
    # signature (8) + IHDR length (4) + b'IHDR' (4) + width (4) + height (4)
    if len(head) == 24 and head[:8] == _PNG_SIGNATURE \
            and head[12:16] == b'IHDR':
        width, height = struct.unpack('>II', head[16:24])
        return int(width), int(height)
    from PIL import Image, UnidentifiedImageError
    try:
        with Image.open(path) as img:
            return img.size
    except (UnidentifiedImageError, OSError) as err:
        problem = image_file_problem(path) or f'{type(err).__name__}: {err}'
        raise DataFileError(
            f'{path}: cannot read the image size: {problem}') from err
