"""mmengine 0.10.7: every ``package::`` base re-reads all metafiles.

``Config.fromfile`` resolves a base such as ``mmdet::_base_/...`` through
``mmengine.config.utils._get_cfg_metainfo``, which loads the package's
``.mim/model-index.yml`` and every ``metafile.yml`` it lists (612 YAML files
for mmdet 3.3.0) on each call, only to learn that a ``_base_`` file has no
metadata. With the ``mmdet::`` bases of this project's configs that is about
0.25 s of CPU per parsed config, in every tool run and config test. Those
files belong to the installed package and do not change while a process
runs, so the YAML loader that module uses is memoized per path; the parsed
metadata is only read there, never modified.
"""
import functools
from typing import Any, Dict


def cache_mmengine_metafiles() -> None:
    """Memoize the file loads of ``mmengine.config.utils`` (idempotent)."""
    from mmengine.config import utils
    if getattr(utils.load, '_led_cached', False):
        return
    original = utils.load
    loaded: Dict[str, Any] = {}

    @functools.wraps(original)
    def load(file, *args, **kwargs):
        if args or kwargs or not isinstance(file, str):
            return original(file, *args, **kwargs)
        if file not in loaded:
            loaded[file] = original(file)
        return loaded[file]

    load._led_cached = True
    utils.load = load
