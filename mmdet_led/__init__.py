"""mmdet-led: LED, the Localization-quality Estimation embedded Detector.

Importing the package first applies the fixes for known upstream bugs of the
pinned stack (:mod:`mmdet_led.patches`; with an mmcv that has no compiled
ops, the NMS fallback, which must precede any import of ``mmcv.ops``), then
registers its components in MMDetection's and MMEngine's registries
(``custom_imports=dict(imports=['mmdet_led'])``).
"""
from .patches import apply_patches

apply_patches()

from . import (datasets, engine, evaluation, models, utils,  # noqa: E402,F401
               visualization)

__version__ = '0.1.0'
