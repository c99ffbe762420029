"""``ablation``: the paper's Table 2 cumulative rows on the CPU model."""
import time
from typing import Any, Dict

from ..common import log
from ..evaluate import RunData, metrics_percent
from ..meta import base_meta
from ..registry import ABLATION_ROWS, CPU_LED


def part_ablation(bench: Any, part: Any) -> dict:
    """Table 2's cumulative rows on the CPU model, one seed, with the SSD
    of that seed as the reference row."""
    started = time.time()
    rows = []
    data: Dict[str, RunData] = {}  # rows 4-5 share the 'led' run
    for label, key, mode in ABLATION_ROWS:
        runs = [r for r in bench.done_runs(key) if r.seed == bench.seeds[0]]
        if not runs:
            rows.append(dict(row=label, run=None, score_mode=mode))
            continue
        if runs[0].name not in data:
            data[runs[0].name] = RunData(bench, runs[0])
        m = metrics_percent(data[runs[0].name].matches(score_mode=mode))
        rows.append(
            dict(
                row=label,
                run=runs[0].name,
                score_mode=mode,
                options=bench.registry.get(key, {}).get('options', {}),
                **m))
        log(f'ablation {label}: mAP50 {m["mAP50"]:.2f}')
    ssd = [r for r in bench.done_runs('ssd') if r.seed == bench.seeds[0]]
    ssd_row = None
    if ssd:
        ev = bench.result(f'eval/{ssd[0].name}')
        ssd_row = dict(row='SSD (no LE)', run=ssd[0].name, **ev['metrics'])
    return base_meta(
        bench,
        part,
        started,
        config=CPU_LED,
        seed=bench.seeds[0],
        note='small-scale: CPU model, one seed, VOC2007 subset',
        rows=rows,
        ssd=ssd_row)
