"""``speed``: latency, training step and memory of LED against SSD, by
``tools/benchmark_speed.py`` with the registry's arguments."""
import os
import os.path as osp
import sys
import time
from typing import Any

from .common import ROOT, read_json
from .meta import base_meta
from .train import tee


def part_speed(bench: Any, part: Any) -> dict:
    """tools/benchmark_speed.py with the bench's ``speed_args``."""
    started = time.time()
    out = osp.join(bench.work_root, 'speed_raw.json')
    os.makedirs(bench.work_root, exist_ok=True)
    cmd = [sys.executable,
           osp.join(ROOT, 'tools', 'benchmark_speed.py')] + bench.speed_args
    cmd += ['--out', out]
    rc = tee(cmd, osp.join(bench.work_root, 'speed_console.log'))
    if rc != 0:
        raise RuntimeError(f'tools/benchmark_speed.py failed ({rc})')
    speed = read_json(out)
    return base_meta(
        bench,
        part,
        started,
        command=' '.join(['python', 'tools/benchmark_speed.py'] +
                         bench.speed_args),
        config=[v for p in speed['pairs'].values()
                for v in (p['ssd_config'], p['led_config'])],
        seed=0,
        speed=speed)
