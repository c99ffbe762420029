"""Import-time fixes for known upstream bugs of the pinned stack.

One module per upstream bug; each module's docstring names the bug and why
the fix is safe, and each fix is idempotent and a no-op where the stack does
not need it. ``import mmdet_led`` calls :func:`apply_patches` before it
registers anything, so plain MMDetection configs and tools get them too.
Nothing in site-packages is edited.
"""
from .checkpoint_errors import CheckpointLoadError, name_checkpoint_errors
from .cpu_ddp import enable_cpu_ddp
from .history_buffer_pickle import fix_history_buffer_pickling
from .mmcv_ops_fallback import install_mmcv_ops_fallback
from .mmengine_metafile_cache import cache_mmengine_metafiles
from .ssd_head_loss_cls import fix_ssd_head_predict
from .torch_weights_only import (allow_mmengine_checkpoints,
                                 mmengine_checkpoint_globals)

__all__ = [
    'CheckpointLoadError', 'cache_mmengine_metafiles', 'enable_cpu_ddp',
    'name_checkpoint_errors',
    'allow_mmengine_checkpoints', 'apply_patches',
    'fix_history_buffer_pickling', 'fix_ssd_head_predict',
    'install_mmcv_ops_fallback', 'mmengine_checkpoint_globals'
]


def apply_patches() -> None:
    """Apply every patch, the mmcv-ops fallback first (idempotent).

    The fallback must precede anything that imports ``mmcv.ops``; the other
    patches import mmdet/mmengine, which does.
    """
    install_mmcv_ops_fallback()
    fix_ssd_head_predict()
    fix_history_buffer_pickling()
    allow_mmengine_checkpoints()
    name_checkpoint_errors()
    enable_cpu_ddp()
    cache_mmengine_metafiles()
