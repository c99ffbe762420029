"""Evidence benchmark of LED vs SSD: the command line of
:mod:`benchmarks.harness` (``--help`` for the parts and options)."""
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import mmdet_led  # noqa: E402,F401  (registers LED; stack patches first)
from benchmarks.harness.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(main())
