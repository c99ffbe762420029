"""Errors that name the data file behind them.

MMCV/OpenCV report a bad image without its name (a zero-byte JPEG gives a
bare ``cv2.error: !buf.empty()``). :class:`NameDataFileMixin` wraps a
dataset's ``prepare_data`` so that any failure of the data pipeline is
re-raised as :class:`DataFileError` naming the sample's image and annotation
files, with what is visibly wrong with the image file (missing, empty,
undecodable); the original exception is chained as its cause.
"""
import os.path as osp
from typing import Any, Optional

import mmcv


class DataFileError(RuntimeError):
    """A sample whose files cannot be loaded; the message names them."""


def image_file_problem(path: str) -> Optional[str]:
    """What is visibly wrong with a local image file, if anything.

    Args:
        path (str): Path of the image.

    Returns:
        str | None: ``'the file does not exist'``, ``'the file is empty (0
        bytes)'``, ``'the file cannot be decoded as an image (truncated or
        corrupt, N bytes)'``, or None if it decodes (or is not local).
    """
    if '://' in path:  # not a local file: nothing to inspect here
        return None
    if not osp.exists(path):
        return 'the file does not exist'
    size = osp.getsize(path)
    if size == 0:
        return 'the file is empty (0 bytes)'
    with open(path, 'rb') as f:
        content = f.read()
    try:
        img = mmcv.imfrombytes(content, backend='cv2')
    except Exception:  # noqa: BLE001 - any decoder failure means the same
        img = None
    if img is None:
        return ('the file cannot be decoded as an image (truncated or '
                f'corrupt, {size} bytes)')
    return None


class NameDataFileMixin:
    """Dataset mixin: pipeline errors name the sample's files.

    Put it before the dataset base class; it overrides ``prepare_data`` only.
    """

    def prepare_data(self, idx: int) -> Any:
        """``prepare_data`` of the dataset; errors name the files.

        Args:
            idx (int): The index of the data info.

        Returns:
            Any: What the pipeline returns.

        Raises:
            DataFileError: If the pipeline fails, naming the image (and the
                annotation file when the data info has one).
        """
        try:
            return super().prepare_data(idx)
        except Exception as err:
            info = self.get_data_info(idx)
            img_path = info.get('img_path', '<unknown image>')
            ann = info.get('xml_path') or info.get('ann_path')
            files = f'image {img_path}' + (f' (annotation {ann})'
                                            if ann else '')
            problem = image_file_problem(img_path) if isinstance(
                img_path, str) else None
            detail = f'{problem}; ' if problem else ''
            raise DataFileError(
                f'{type(self).__name__}: cannot load sample {idx}, {files}: '
                f'{detail}{_qualified_name(type(err))}: {err}') from err


def _qualified_name(cls: type) -> str:
    """``ValueError`` for built-ins, ``cv2.error`` for the others."""
    module = cls.__module__
    return cls.__qualname__ if module == 'builtins' else \
        f'{module}.{cls.__qualname__}'
