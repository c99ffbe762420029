"""``heads``: LE on FPN heads against their plain twins and MMDetection's
quality heads (``--registry heads``, ``heads-atss``).

One aggregate part over the evaluated runs of every compared model:

* per difference ``A - B`` of the bench's ``comparisons``, the same
  intervals as ``ci`` (per image, and two-level over seed-paired runs and
  test images) of COCO-style AP, mAP@0.5, AP@0.7 and AP@0.75;
* per run, the calibration of its pre-NMS candidates: Pearson and Spearman
  correlation of the final confidence, and for LED heads of ``conf_cls``
  and ``conf_loc``, with the true IoU (as the ``calibration`` part);
* for an LED head whose ``sweep/<key>`` ran, the same differences with its
  test detections re-scored by the val sweep's best cell (``A@val - B``).
"""
import time
from typing import Any, Dict, List

import numpy as np

from mmdet_led.evaluation.functional import correlation_table
from ..common import log, mean_or_none
from ..evaluate import RunData, accuracy_metrics
from ..meta import base_meta
from ..registry import BOOTSTRAP_SEED
from .calibration import DEFINITION, run_candidates
from .ci import difference, paired_by_image

#: The comparison's metrics, headline first.
METRICS = ('AP', 'mAP50', 'AP70', 'AP75')
#: Signals correlated with the true IoU (those a run's candidates have).
SIGNALS = ('conf_final', 'conf_cls', 'conf_loc')


def run_calibration(data: RunData) -> Dict[str, Any]:
    """Correlations of a run's pre-NMS candidate signals with their true
    IoU."""
    cands = run_candidates(data)
    true = np.concatenate([c['true_iou'] for c in cands])
    values = {
        s: np.concatenate([c[s] for c in cands])
        for s in SIGNALS if s in cands[0]
    }
    return dict(
        num_dets=int(true.size),
        mean_true_iou=float(true.mean()) if true.size else None,
        correlations=correlation_table(values, true))


def mean_correlations(per_run: Dict[str, dict],
                      names: List[str]) -> Dict[str, dict]:
    """Per signal, the mean Pearson/Spearman over the runs ``names``."""
    return {
        s: {
            k: mean_or_none([
                per_run[n]['correlations'].get(s, {}).get(k) for n in names
            ])
            for k in ('pearson', 'spearman')
        }
        for s in SIGNALS
    }


def val_cell(sweep: dict) -> Dict[str, Any]:
    """The ``test_cfg`` updates of a sweep's best cell (its metrics
    dropped)."""
    return {
        k: v
        for k, v in sweep['best_cell'].items()
        if k in ('score_mode', 'score_thr_on', 'loc_lambda', 'loc_sigma',
                 'loc_power', 'centerness')
    }


def part_heads(bench: Any, part: Any) -> dict:
    """Differences with their intervals, and calibration, of the compared
    models."""
    started = time.time()
    runs = {k: bench.done_runs(k) for k in bench.compared_keys}
    sweeps = {k: bench.result(f'sweep/{k}') for k in bench.compared_keys}
    val_cells = {k: val_cell(sw) for k, sw in sweeps.items() if sw}
    samples: Dict[str, Dict[str, dict]] = {}
    point: Dict[str, Dict[str, dict]] = {}
    calibration: Dict[str, dict] = {}
    num_images = 0
    for run, data, weights in paired_by_image(
            bench, [r for key_runs in runs.values() for r in key_runs]):
        num_images = weights.shape[1]
        # the config's scoring, and the val sweep's best cell if it ran
        variants = {'default': {}}
        if run.key in val_cells:
            variants['val'] = val_cells[run.key]
        samples[run.name], point[run.name] = {}, {}
        for name, updates in variants.items():
            matches = data.matches(**updates)
            samples[run.name][name] = accuracy_metrics(matches, weights)
            point[run.name][name] = {
                k: float(v[0])
                for k, v in accuracy_metrics(matches).items()
            }
        calibration[run.name] = dict(model=run.key, **run_calibration(data))
        log(f'heads: {run.name} bootstrapped and calibrated')
    diffs: Dict[str, dict] = {}
    for a, b in bench.comparisons:
        if not (runs[a] and runs[b]):
            continue
        for k, d in difference(samples, point, runs[a], 'default', runs[b],
                               'default', METRICS).items():
            diffs[f'{a}-{b}/{k}'] = d
        if a in val_cells:
            for k, d in difference(samples, point, runs[a], 'val', runs[b],
                                   'default', METRICS).items():
                diffs[f'{a}@val-{b}/{k}'] = d
    models = {
        key: dict(
            runs=[r.name for r in key_runs],
            metrics={
                k: [100 * point[r.name]['default'][k] for r in key_runs]
                for k in METRICS
            },
            calibration=mean_correlations(calibration,
                                          [r.name for r in key_runs]))
        for key, key_runs in runs.items()
    }
    for key, cell in val_cells.items():
        models[key]['val_cell'] = cell
        models[key]['val_metrics'] = {
            k: [100 * point[r.name]['val'][k] for r in runs[key]]
            for k in METRICS
        }
    return base_meta(
        bench,
        part,
        started,
        runs=list(point),
        seeds=sorted({r.seed
                      for key_runs in runs.values() for r in key_runs}),
        config={k: bench.registry[k]['config']
                for k in bench.compared_keys},
        method=(f'percentile bootstrap, {bench.bootstrap} resamples of the '
                f'{num_images} test images (seed {BOOTSTRAP_SEED}), '
                'paired by image; differences of seed means in AP points, '
                'over the seeds both models have. '
                'Two-level: each resample also draws the seed-paired runs '
                '(seed s of A with seed s of B) with replacement'),
        calibration_definition=DEFINITION,
        num_images=num_images,
        samples=bench.bootstrap,
        models=models,
        per_run_calibration=calibration,
        differences=diffs)
