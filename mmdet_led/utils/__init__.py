from .compat import (allow_mmengine_checkpoints, apply_compat_fixes,
                     fix_history_buffer_pickling, fix_ssd_head_predict,
                     mmengine_checkpoint_globals)
from .toy_voc import TOY_CLASSES, make_toy_voc

__all__ = [
    'TOY_CLASSES', 'allow_mmengine_checkpoints', 'apply_compat_fixes',
    'fix_history_buffer_pickling', 'fix_ssd_head_predict', 'make_toy_voc', 'mmengine_checkpoint_globals'
]
