"""``python -m benchmarks.harness``: the benchmark's command line."""
import sys

import mmdet_led  # noqa: F401  (registers LED; stack patches first)
from .cli import main

sys.exit(main())
