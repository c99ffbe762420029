"""Small shared helpers: repository paths, result files, git state, log."""
import datetime
import hashlib
import json
import os
import os.path as osp
import subprocess
from typing import Any, Dict, Optional, Sequence

import numpy as np

#: The repository root: configs, data roots and result paths are relative
#: to it.
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Version of the result-file layout (every result JSON and raw file).
RESULT_VERSION = 1


def git_commit(root: str = ROOT,
               exclude: Sequence[str] = ()) -> Dict[str, Any]:
    """HEAD commit of ``root`` and whether tracked files differ from it.

    Args:
        root (str): A directory inside a git work tree.
        exclude (Sequence[str]): Paths (relative to ``root``) left out of
            the check, e.g. the benchmark's own outputs, which a run
            rewrites while it goes.

    Returns:
        dict: ``commit`` (None without git) and ``dirty``.
    """

    def git(*args):
        try:
            return subprocess.run(['git', *args],
                                  cwd=root,
                                  capture_output=True,
                                  text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    commit = git('rev-parse', 'HEAD')
    status = git('status', '--porcelain', '--untracked-files=no', '--', '.',
                 *[f':(exclude){p}' for p in exclude])
    return dict(commit=commit, dirty=bool(status) if status is not None else
                None)


def now() -> str:
    """The local time, ISO format to the second."""
    return datetime.datetime.now().isoformat(timespec='seconds')


def read_json(path: str) -> Optional[Any]:
    """The JSON at ``path``, or None if there is no file."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f'not JSON serializable: {type(obj)}')


def write_json(path: str, data: Any) -> None:
    """Write atomically (a half-written result must never look done)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=1, default=_json_default)
        f.write('\n')
    os.replace(tmp, path)


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON types (what a result file would hold)."""
    return json.loads(json.dumps(obj, default=str))


def fingerprint(path: str) -> Optional[str]:
    """Short SHA-1 of a file's content; None if there is no file."""
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as f:
        return hashlib.sha1(f.read()).hexdigest()[:12]


def rel(path: str) -> str:
    """Path relative to the repository root where possible."""
    path = osp.abspath(path)
    return osp.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def pct(x: Optional[float]) -> Optional[float]:
    """A fraction as percent, rounded to 4 decimals (None stays None)."""
    return None if x is None else round(100.0 * float(x), 4)


def mean_or_none(values: Sequence[Optional[float]]) -> Optional[float]:
    """Mean of the values that are not None; None if there are none."""
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def log(msg: str) -> None:
    """Print a time-stamped progress line."""
    print(f'[benchmark {datetime.datetime.now():%H:%M:%S}] {msg}', flush=True)


def innermost_dataset(loader_cfg: Any) -> Any:
    """The dataset config of a loader config, inside any dataset wrappers."""
    dataset = loader_cfg.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset
