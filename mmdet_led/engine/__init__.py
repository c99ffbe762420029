from .checkpoint_schemes import load_from_pypi  # noqa: F401
from .hooks import *  # noqa: F401,F403
from .init_from import (group_mults, make_init_checkpoint,  # noqa: F401
                        remap_optimizer_state, remap_scheduler_state,
                        step1_iter, twin_mismatch)
from .schedulers import *  # noqa: F401,F403
