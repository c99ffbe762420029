from .checkpoint_schemes import load_from_pypi  # noqa: F401
from .hooks import *  # noqa: F401,F403
from .schedulers import *  # noqa: F401,F403
