"""Test (and evaluate) a detector: MMDetection's ``tools/test.py`` with
mmdet-led.

Takes MMDetection's arguments unchanged (``config``, ``checkpoint``,
``--work-dir``, ``--out``, ``--show-dir``, ``--tta``, ``--cfg-options``,
``--launcher``; see ``--help``). ``import mmdet_led`` comes first: it applies
:mod:`mmdet_led.patches` (the mmcv-lite NMS fallback must precede any
``mmcv.ops`` import; weights-only loading of MMEngine checkpoints) and
registers mmdet-led's components, so plain MMDetection configs work here
too. Then the tool that the installed mmdet ships
(``mmdet/.mim/tools/test.py``) runs with this command's arguments.
"""
import mmdet_led  # noqa: F401  (first: patches before mmcv.ops loads)
from mmdet_led.utils import run_mmdet_tool

if __name__ == '__main__':
    run_mmdet_tool('test.py')
