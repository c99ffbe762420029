"""mmdet-led: LED, the Localization-quality Estimation embedded Detector.

Importing the package registers its components in MMDetection's and
MMEngine's registries (``custom_imports=dict(imports=['mmdet_led'])``) and
applies the compatibility fixes in :mod:`mmdet_led.utils.compat` (and,
with an mmcv that has no compiled ops, the NMS fallback of
:mod:`mmdet_led.utils.mmcv_ops_fallback`).
"""
from .utils.mmcv_ops_fallback import install_mmcv_ops_fallback

install_mmcv_ops_fallback()  # before anything imports mmcv.ops

from .utils.compat import apply_compat_fixes  # noqa: E402

apply_compat_fixes()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__version__ = '0.1.0'
