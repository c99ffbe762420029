"""Run the command-line tools that the MMDetection package ships.

MMDetection's wheel carries its ``tools/`` folder as ``mmdet/.mim/tools``
(what ``mim train mmdet`` runs). mmdet-led's ``tools/train.py`` and
``tools/test.py`` import :mod:`mmdet_led` (registrations and patches) and
then run those tools unchanged, so this repository holds no copy of them.
"""
import os.path as osp
import runpy
import sys
from typing import Optional, Sequence


def mmdet_tool_path(name: str) -> str:
    """Path of one of MMDetection's own tools, e.g. ``'train.py'``.

    Looks in the installed wheel (``mmdet/.mim/tools``), then in a source
    checkout beside the package (``<checkout>/tools``, editable installs).

    Args:
        name (str): Path relative to MMDetection's ``tools/`` folder.

    Returns:
        str: The absolute path of the tool.
    """
    import mmdet
    package = osp.dirname(osp.abspath(mmdet.__file__))
    candidates = [
        osp.join(package, '.mim', 'tools', name),
        osp.join(osp.dirname(package), 'tools', name),
    ]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'MMDetection {mmdet.__version__} at {package} ships no tools/{name} '
        f'(looked for {" and ".join(candidates)}). Install mmdet from its '
        'wheel (pip install mmdet==3.3.0), which carries its tools in '
        'mmdet/.mim/tools.')


def run_mmdet_tool(name: str, argv: Optional[Sequence[str]] = None) -> None:
    """Run one of MMDetection's tools as ``__main__`` in this process.

    Args:
        name (str): Path relative to MMDetection's ``tools/`` folder.
        argv (Sequence[str], optional): Its arguments; defaults to this
            process's (``sys.argv[1:]``), so a wrapper passes on its own.
    """
    path = mmdet_tool_path(name)
    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    runpy.run_path(path, run_name='__main__')
