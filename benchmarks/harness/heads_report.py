"""The report of a comparison of heads (``--registry heads``,
``heads-atss``): its ``summary.json`` and README from the result JSONs.

The numbers come from the ``eval/<run>`` results (per-seed metrics), the
``heads`` part (differences with their intervals, calibration) and the LE
cost benchmark's ``benchmarks/results/le_cost_eager.json`` (latency ratios);
``templates/heads.md.j2`` holds the text. Missing parts give null and
"pending", never an invented number.
"""
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .analyses.heads import METRICS
from .common import ROOT, now, read_json, write_json
from .evaluate import METRIC_DEFINITIONS
from .registry import (COMPARISONS, HEADS_LATENCY_TARGET, HEADS_SPEED_PAIRS,
                       HEADS_TARGETS)
from .report import MISSING, fmt, interval, render, target_row
from .summary import judge, load_results

#: Where the LE cost benchmark keeps its eager CPU measurement.
LE_COST = osp.join(ROOT, 'benchmarks', 'results', 'le_cost_eager.json')
#: Repeated batch-1 runs of the LE cost benchmark (median ratios per pair).
LE_COST_REPEATS = osp.join(ROOT, 'benchmarks', 'results',
                           'le_cost_repeats.json')
LABELS = dict(AP='AP@[.5:.95]', mAP50='mAP@0.5', AP70='AP@0.7',
              AP75='AP@0.75')


def model_metrics(results: Dict[str, dict], key: str,
                  seeds: Sequence[int]) -> Dict[str, List[Optional[float]]]:
    """Per metric, the value of each seed's ``eval`` result (None if it has
    not run)."""
    evs = [results.get(f'eval_{key}_s{s}') for s in seeds]
    return {
        k: [ev['metrics'].get(k) if ev else None for ev in evs]
        for k in METRICS
    }


def seed_mean_sd(values: Sequence[Optional[float]]) -> tuple:
    """(mean, SD with ddof 1 or None, count) of the values that exist."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None, 0
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return float(np.mean(vals)), sd, len(vals)


def latency_ratios(path: str = LE_COST,
                   repeats_path: str = LE_COST_REPEATS) -> Dict[str, dict]:
    """Per LED key of :data:`HEADS_SPEED_PAIRS`, the batch-1 LED/plain
    ratios (network, full predict) and the LE module's MAC floor: the
    medians of the repeated runs where ``repeats_path`` has the pair (one
    run's batch-1 ratio moves by a few hundredths with the host's load),
    else the ratios of the run in ``path``."""
    cost = read_json(path) or {}
    repeats = (read_json(repeats_path) or {}).get('eager_b1_random', {})
    out = {}
    for key, pair in HEADS_SPEED_PAIRS.items():
        entry = (cost.get('pairs') or {}).get(pair)
        b1 = (entry or {}).get('batches', {}).get('1')
        if not b1:
            continue
        gmacs = entry.get('gmacs', {})
        out[key] = dict(
            pair=pair,
            ratio_net=b1.get('ratio_net'),
            ratio_full=b1.get('ratio_full'),
            mac_floor=(gmacs['led'] / gmacs['ssd']
                       if gmacs.get('ssd') else None),
            device=cost.get('device'),
            date=(cost.get('pair_dates') or {}).get(pair, cost.get('date')))
        runs = repeats.get('runs', {}).get(pair)
        if runs:
            out[key].update(
                ratio_net=float(np.median([r['net'] for r in runs])),
                ratio_full=float(np.median([r['full'] for r in runs])),
                runs=len(runs))
    return out


def heads_targets(results: Dict[str, dict], latency: Dict[str, dict],
                  keys: Sequence[str]) -> List[dict]:
    """The targets of the models ``keys``: differences judged on their
    two-level 95% interval (met/missed/unresolved; pending without one),
    latency ratios against :data:`HEADS_LATENCY_TARGET`."""
    diffs = (results.get('heads') or {}).get('differences') or {}
    targets = []
    for a, b, metric, need in HEADS_TARGETS:
        if not {a, b} <= set(keys):
            continue
        d = diffs.get(f'{a}-{b}/{metric}')
        name = f'{a} - {b} {LABELS[metric]} (mean over shared seeds)'
        if not d:
            targets.append(dict(name=name, target=f'>= {need:+.1f}',
                                measured=None, status='pending',
                                note=f'needs eval/{a}_s*, eval/{b}_s*, heads'))
            continue
        two = d.get('ci95_two_level')
        note = 'per-image 95% CI {}'.format(interval(d['ci95']))
        if two:
            pairs = d['num_seeds']
            note = 'two-level 95% CI {} over {} seed pair{}; {}'.format(
                interval(two), pairs, '' if pairs == 1 else 's', note)
        targets.append(
            dict(name=name, target=f'>= {need:+.1f}',
                 measured=d['estimate'],
                 status=judge(two, need, False) if two else 'pending',
                 note=note if two else note + '; no seed pairs'))
    for key in HEADS_SPEED_PAIRS:
        if key not in keys:
            continue
        lat = latency.get(key)
        for kind in ('net', 'full'):
            name = f'{key} / plain twin batch-1 CPU latency ({kind})'
            value = (lat or {}).get(f'ratio_{kind}')
            targets.append(
                dict(name=name, target=f'<= {HEADS_LATENCY_TARGET:.2f}',
                     measured=value,
                     status='pending' if value is None else
                     'met' if value <= HEADS_LATENCY_TARGET else 'missed',
                     note='needs tools/benchmark_speed.py' if value is None
                     else f'{lat["device"]}, {lat["date"]}'
                     + (f', median of {lat["runs"]} runs' if lat.get('runs')
                        else '') + f'; MAC floor {fmt(lat["mac_floor"], 3)}'))
    return targets


def sweep_rows(sweep: dict) -> List[list]:
    """The val sweep of an LED head in a few rows: its plain twin, the LED
    head ranked by class score, by the config's scoring, and the best
    gaussian, 'power' and overall cells."""

    def setting(g: dict) -> str:
        keys = ('loc_lambda', 'loc_sigma', 'loc_power')
        text = ', '.join(f'{k[4:]}={g[k]}' for k in keys if k in g) or '-'
        return text + (f', centerness {g["centerness"]}'
                       if 'centerness' in g else '')

    cfg = dict(sweep['default'], score_mode='gaussian',
               score_thr_on=sweep['score_thr_on'])
    default = next(g for g in sweep['grid']
                   if all(g.get(k) == v for k, v in cfg.items()))
    cls = next(g for g in sweep['grid'] if g['score_mode'] == 'cls' and g.get(
        'centerness') == cfg.get('centerness'))
    cells = [('LED, class score', cls), ("LED, the config's scoring", default),
             ('LED, best gaussian', sweep['power']['best_gaussian']),
             ("LED, best 'power'", sweep['power']['best_power']),
             ('LED, best cell (applied on test)', sweep['best_cell'])]
    twin = sweep['twin']
    rows = [[f"plain twin (`{twin['run']}`)", '-'] +
            [fmt(twin['metrics'].get(k)) for k in METRICS]]
    return rows + [[label, f"{g['score_mode']}: {setting(g)}"] +
                   [fmt(g.get(k)) for k in METRICS] for label, g in cells]


def make_heads_summary(results: Dict[str, dict], bench: Any) -> dict:
    """``summary.json`` of the comparison: per model the per-seed metrics,
    the differences' intervals, calibration, latency and targets."""
    keys = bench.compared_keys
    latency = {k: v for k, v in latency_ratios().items() if k in keys}
    heads = results.get('heads') or {}
    return dict(
        commit=bench.commit['commit'],
        seeds=list(bench.seeds),
        quick=bench.quick,
        models={
            k: model_metrics(results, k, bench.seeds)
            for k in bench.compared_keys
        },
        differences={
            k: {f: v.get(f) for f in ('estimate', 'ci95', 'ci95_two_level',
                                      'per_seed', 'seed_sd', 'num_seeds')}
            for k, v in (heads.get('differences') or {}).items()
        },
        calibration={
            k: v['calibration']
            for k, v in (heads.get('models') or {}).items()
        },
        val_sweeps={
            k: dict(run=sw['run'], twin=sw['twin'], best_cell=sw['best_cell'],
                    power_helps=sw['power']['power_helps'])
            for k in bench.compared_keys
            for sw in [results.get(f'sweep_{k}')] if sw
        },
        latency=latency,
        targets=heads_targets(results, latency, keys),
        metric_definitions=METRIC_DEFINITIONS,
        generated=now())


def tested_keys(bench: Any) -> List[str]:
    """The compared models with test seeds: all but the variants given
    ``seeds=[]`` (run on train -> val only), which the test tables leave
    out."""
    return [k for k in bench.compared_keys
            if bench.registry[k].get('seeds') != []]


def accuracy_rows(results: Dict[str, dict], bench: Any) -> List[list]:
    """Per model with test seeds its seed mean (SD) of every metric, seeds
    and minutes."""
    rows = []
    for key in tested_keys(bench):
        per = model_metrics(results, key, bench.seeds)
        cells = []
        count = 0
        for k in METRICS:
            mean, sd, count = seed_mean_sd(per[k])
            cells.append(MISSING if mean is None else
                         fmt(mean) + ('' if sd is None else f' ({sd:.2f})'))
        minutes = [
            (results.get(f'train_{key}_s{s}') or {}).get('train_minutes')
            for s in bench.seeds
        ]
        minutes = [m for m in minutes if m is not None]
        rows.append([key, f'{count}/{len(bench.seeds)}', *cells,
                     fmt(np.mean(minutes), 1) if minutes else MISSING,
                     f'`{bench.registry[key]["config"]}`'])
    return rows


def seed_rows(results: Dict[str, dict], bench: Any) -> List[list]:
    """Per model with test seeds and seed: every metric and the training
    minutes."""
    rows = []
    for key in tested_keys(bench):
        for s in bench.seeds:
            ev = results.get(f'eval_{key}_s{s}')
            tr = results.get(f'train_{key}_s{s}') or {}
            rows.append([key, s] + [
                fmt(ev['metrics'].get(k)) if ev else MISSING for k in METRICS
            ] + [fmt(tr.get('train_minutes'), 1)])
    return rows


def difference_rows(results: Dict[str, dict]) -> List[list]:
    """Per difference and metric: per-seed values, mean, seed SD and both
    intervals."""
    rows = []
    for name, d in ((results.get('heads') or {}).get('differences')
                    or {}).items():
        pair, metric = name.split('/')
        per_seed = ', '.join(f's{s} {v:+.2f}'
                             for s, v in (d.get('per_seed') or {}).items())
        rows.append([
            pair, LABELS[metric], per_seed or MISSING,
            fmt(d['estimate'], sign=True),
            fmt(d.get('seed_sd')),
            interval(d['ci95_two_level']) if d.get('ci95_two_level') else
            MISSING,
            interval(d['ci95'])
        ])
    return rows


def calibration_rows(results: Dict[str, dict], bench: Any) -> List[list]:
    """Per model with test seeds the seed-mean Pearson correlation of each
    signal with the true IoU."""
    models = (results.get('heads') or {}).get('models') or {}
    return [[key] + [
        fmt((models[key]['calibration'].get(s) or {}).get('pearson'), 3)
        for s in ('conf_final', 'conf_cls', 'conf_loc')
    ] for key in tested_keys(bench) if key in models]


def comparison_of(bench: Any) -> Tuple[str, dict]:
    """The registry name and :data:`COMPARISONS` entry whose differences
    ``bench`` reports (``heads``'s if none)."""
    for name, comp in COMPARISONS.items():
        if [tuple(c) for c in comp['comparisons']] == bench.comparisons:
            return name, comp
    return 'heads', COMPARISONS['heads']


def write_heads_report(bench: Any) -> dict:
    """Rewrite the comparison's summary.json and README; return the
    summary."""
    results = load_results(bench.results_dir)
    summary = make_heads_summary(results, bench)
    statuses = [(n, *bench.status(n)) for n in bench.parts]
    summary['parts'] = {n: s for n, s, _ in statuses}
    write_json(osp.join(bench.results_dir, 'summary.json'), summary)
    readme_dir = osp.dirname(osp.abspath(bench.readme))
    first = next((v for n, v in sorted(results.items())
                  if n.startswith('train_')), None)
    registry, comp = comparison_of(bench)
    tested = tested_keys(bench)
    text = render(
        'heads.md.j2',
        registry=registry,
        title=comp['title'],
        about=comp['about'],
        summary=summary,
        quick=bench.quick,
        seeds=bench.seeds,
        results_rel=osp.relpath(bench.results_dir, readme_dir),
        # from the report's home, benchmarks/<folder>/ (wherever it renders)
        le_cost_rel='../le_cost.md',
        first_train=first,
        heads=results.get('heads'),
        target_rows=[target_row(t) for t in summary['targets']],
        accuracy_rows=accuracy_rows(results, bench),
        val_only=[k for k in bench.compared_keys if k not in tested],
        seed_rows=seed_rows(results, bench),
        difference_rows=difference_rows(results),
        calibration_rows=calibration_rows(results, bench),
        sweeps={
            k: dict(result=results[f'sweep_{k}'],
                    rows=sweep_rows(results[f'sweep_{k}']))
            for k in bench.compared_keys if results.get(f'sweep_{k}')
        },
        latency_rows=[[k, v['pair'], fmt(v['ratio_net'], 3),
                       fmt(v['ratio_full'], 3), fmt(v['mac_floor'], 3)]
                      for k, v in summary['latency'].items()],
        statuses=[[n, s, d.replace('|', '/')] for n, s, d in statuses])
    with open(bench.readme, 'w') as fh:
        fh.write(text)
    return summary
