from .compat import (allow_mmengine_checkpoints, apply_compat_fixes,
                     fix_ssd_head_predict, mmengine_checkpoint_globals)

__all__ = [
    'allow_mmengine_checkpoints', 'apply_compat_fixes', 'fix_ssd_head_predict',
    'mmengine_checkpoint_globals'
]
