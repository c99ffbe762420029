"""Train a detector: MMDetection's own ``tools/train.py`` with mmdet-led.

Takes MMDetection's arguments unchanged (``config``, ``--work-dir``,
``--resume [CHECKPOINT]``, ``--amp``, ``--cfg-options``, ``--launcher``;
see ``--help``). ``import mmdet_led`` comes first: it applies
:mod:`mmdet_led.patches` (the mmcv-lite NMS fallback must precede any
``mmcv.ops`` import) and registers mmdet-led's components, so plain
MMDetection configs work here too. Then the tool that the installed mmdet
ships (``mmdet/.mim/tools/train.py``) runs with this command's arguments.
"""
import mmdet_led  # noqa: F401  (first: patches before mmcv.ops loads)
from mmdet_led.utils import run_mmdet_tool

if __name__ == '__main__':
    run_mmdet_tool('train.py')
