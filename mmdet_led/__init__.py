"""mmdet-led: LED, the Localization-quality Estimation embedded Detector.

Importing the package registers its components in MMDetection's and
MMEngine's registries (``custom_imports=dict(imports=['mmdet_led'])``) and
applies the compatibility fixes in :mod:`mmdet_led.utils.compat`.
"""
from .utils.compat import apply_compat_fixes

apply_compat_fixes()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__version__ = '0.1.0'
