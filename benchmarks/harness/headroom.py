"""The tables of ``benchmarks/loc_quality_headroom.md`` from the JSONs of
``tools/analysis_tools/loc_quality_headroom.py`` in
``benchmarks/results/headroom/`` (one per run, ``<run>.json``; the train ->
val runs of LED-ATSS's variants scored on val in ``val/``, some on their
own training images in ``train/``).

    python -m benchmarks.harness.headroom   # prints the tables
"""
import json
import os.path as osp
from functools import partial
from glob import glob
from typing import Callable, Dict, List

import numpy as np
from tabulate import tabulate

from .common import ROOT

RESULTS = osp.join(ROOT, 'benchmarks', 'results', 'headroom')
#: Hosts in table order: (run name prefix, label).
HOSTS = (('led_', 'LED (SSDLite)'), ('led-retinanet_', 'LED-RetinaNet'),
         ('led-fcos_', 'LED-FCOS'), ('led-atss_', 'LED-ATSS'))
RANKINGS = ('class confidence (cls)', 'LE estimates, gaussian',
            'LE estimates, product', 'true quality, gaussian',
            'true quality, product')
SIGNALS = ('conf_cls', 'conf_loc', 'conf_final')
#: The train -> val runs of LED-ATSS's variants, in table order.
VAL_RUNS = (('led-atss-trainsplit_s0', 'LED-ATSS (1x1 LE prediction)'),
            ('led-atss-pred3-trainsplit_s0', 'led-atss-pred3 (3x3)'),
            ('led-atss-detach-trainsplit_s0', 'led-atss-detach'),
            ('led-atss-rank-trainsplit_s0', 'led-atss-rank (LERankingLoss)'),
            ('led-atss-wide-trainsplit_s0', 'led-atss-wide (paper widths)'),
            ('led-atss-outputs-trainsplit_s0',
             'led-atss-outputs (output maps)'),
            ('led-atss-perlevel-trainsplit_s0',
             'led-atss-perlevel (LE per level)'),
            ('led-atss-boxfeat-trainsplit_s0',
             'led-atss-boxfeat (box features)'),
            ('led-atss-densefg-trainsplit_s0',
             'led-atss-densefg (all IoU >= 0.4)'))


def load(results: str = RESULTS) -> Dict[str, dict]:
    """Every run's JSON by run name."""
    return {
        osp.basename(p)[:-len('.json')]: json.load(open(p))
        for p in sorted(glob(osp.join(results, '*.json')))
    }


def _values(run: dict, metric: str, rho: bool) -> list:
    """One run's ``metric`` of every ranking; with ``rho`` the
    within-object Spearman of each confidence after them."""
    aps = {r['ranking']: r[metric] for r in run['aps']}
    obj = run['object_ranking']
    return ([aps[k] for k in RANKINGS] +
            ([obj[s]['spearman'] for s in SIGNALS] if rho else []))


def _spread(run: dict) -> list:
    """Within one object: the SDs of the true IoU, of the LE's IoU
    estimate and of its error; the Spearman of that estimate, of conf_loc
    and of the class score."""
    spread, obj = run['object_spread'], run['object_ranking']
    return [spread[k] for k in ('true_iou_sd', 'pred_iou_sd', 'le_error_sd')
            ] + [obj[s]['spearman'] for s in ('pred_iou', 'conf_loc',
                                              'conf_cls')]


def _rows(runs: Dict[str, dict], values: Callable[[dict], list]
          ) -> List[list]:
    """Per host: each run's (seed's) ``values``, then the seed mean where
    several."""
    rows = []
    for prefix, label in HOSTS:
        names = sorted(n for n in runs if n.startswith(prefix)
                       and n[len(prefix):].startswith('s'))
        per_seed = [values(runs[name]) for name in names]
        rows += [[f'{label}, seed {name[len(prefix) + 1:]}'] + v
                 for name, v in zip(names, per_seed)]
        if len(per_seed) > 1:
            rows.append([f'**{label}, mean of {len(per_seed)}**'] +
                        list(np.mean(per_seed, 0).round(4)))
    return rows


def _variant_rows(runs: Dict[str, dict], values: Callable[[dict], list],
                  suffix: str = '') -> List[list]:
    """``values`` of each variant of :data:`VAL_RUNS` that ``runs`` holds."""
    return [[label + suffix] + values(runs[name]) for name, label in VAL_RUNS
            if name in runs]


def headroom_tables(results: str = RESULTS) -> str:
    """The report's tables (markdown): AP@[.5:.95] of every ranking with
    the within-object Spearman of each confidence, mAP@0.5, LED-ATSS's
    variants on val and on their training images, and the within-object
    spread of the true IoU and of LE's error."""
    runs = load(results)
    val, train = (load(osp.join(results, split)) for split in ('val', 'train'))
    headers = ['run', 'cls', 'LE gaussian', 'LE product', 'true gaussian',
               'true product']
    with_rho = dict(
        headers=headers + ['rho cls', 'rho loc', 'rho final'],
        tablefmt='github',
        floatfmt=('', ) + ('.2f', ) * 5 + ('.3f', ) * 3)
    ap_rho = partial(_values, metric='AP', rho=True)
    out = [
        '**AP@[.5:.95]** by ranking; rho: within-object Spearman of each '
        'confidence with the true IoU',
        tabulate(_rows(runs, ap_rho), **with_rho),
        '**mAP@0.5** by ranking',
        tabulate(_rows(runs, partial(_values, metric='mAP50', rho=False)),
                 headers=headers, tablefmt='github', floatfmt='.2f'),
        '**LED-ATSS variants on train -> val** (seed 0, val.txt): '
        'AP@[.5:.95] by ranking and rho',
        tabulate(_variant_rows(val, ap_rho), **with_rho),
        '**The same models on their own training images** (train.txt)',
        tabulate(_variant_rows(train, ap_rho), **with_rho),
        '**Within one object**: standard deviation, among its candidates, '
        'of the true IoU, of the LE\'s IoU estimate and of its error '
        '(estimate - true), mean over objects; rho as above, of the IoU '
        'estimate too',
        tabulate(_rows(runs, _spread) + _variant_rows(val, _spread, ', val'),
                 headers=['run', 'SD true IoU', 'SD IoU estimate',
                          'SD error', 'rho IoU estimate', 'rho loc',
                          'rho cls'],
                 tablefmt='github', floatfmt=('', ) + ('.3f', ) * 6)
    ]
    return '\n\n'.join(out) + '\n'


if __name__ == '__main__':
    print(headroom_tables())
