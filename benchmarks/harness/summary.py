"""``summary.json``: the headline numbers and the targets, from the result
JSONs (missing parts give null, never an invented number)."""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .common import log, now, read_json
from .evaluate import METRIC_DEFINITIONS
from .seed_planning import TARGET_EFFECTS, seed_planning


def load_results(results_dir: str) -> Dict[str, dict]:
    """Every result JSON of ``results_dir`` but the summary, by name."""
    out = {}
    for path in sorted(glob.glob(osp.join(results_dir, '*.json'))):
        name = osp.basename(path)[:-5]
        if name in ('summary', ):
            continue
        try:
            out[name] = read_json(path)
        except json.JSONDecodeError:
            log(f'WARNING: unreadable {path}')
    return out


def runs_by_model(results: Dict[str, dict], key: str,
                  seeds: Sequence[int]) -> List[Optional[dict]]:
    """The ``eval`` results of ``key``'s runs, per seed (None if missing)."""
    return [results.get(f'eval_{key}_s{s}') for s in seeds]


def latency(results: Dict[str, dict], pair: str,
            batch: int) -> Optional[float]:
    """LED/SSD full-latency ratio of a speed pair at a batch size."""
    speed = (results.get('speed') or {}).get('speed', {})
    try:
        return speed['pairs'][pair]['batches'][str(batch)]['ratio_full']
    except (KeyError, TypeError):
        return None


def train_ratios(results: Dict[str, dict]) -> Optional[Dict[str, float]]:
    """LED/SSD training-step time ratio per speed pair."""
    speed = (results.get('speed') or {}).get('speed', {})
    out = {}
    for pair, entry in (speed.get('pairs') or {}).items():
        if 'train_step' in entry:
            out[f'{pair}_b{entry["train_step"]["batch"]}'] = entry[
                'train_step']['ratio']
    return out or None


def seed_stats(results: Dict[str, dict], key: str, seeds: Sequence[int],
               metric: str) -> Tuple[Optional[float], int]:
    """Mean of ``metric`` over the seeds of ``key`` that ran, and their
    number."""
    vals = [
        ev['metrics'][metric] for ev in runs_by_model(results, key, seeds)
        if ev
    ]
    return (float(np.mean(vals)) if vals else None), len(vals)


def make_summary(results: Dict[str, dict], seeds: Sequence[int],
                 commit: Optional[str]) -> dict:
    """``summary.json``: the headline numbers (percent); null if missing."""

    def model(key):
        evs = runs_by_model(results, key, seeds)
        if not any(evs):
            return {k: None for k in ('mAP50', 'AP70', 'AP')}
        return {
            k: [ev['metrics'][k] if ev else None for ev in evs]
            for k in ('mAP50', 'AP70', 'AP')
        }

    scoring = results.get('scoring')
    same = None
    if scoring:
        same = {
            m: {
                k: scoring['mean'].get(m, {}).get(k)
                for k in ('mAP50', 'AP70')
            }
            for m in scoring['mean']
        }
    calib = results.get('calibration')
    pearson = None
    if calib:
        mean = calib['mean_led']
        pearson = {
            s: mean[s]['pearson']
            for s in ('conf_cls', 'conf_loc', 'pred_iou', 'iou_derived',
                      'conf_final')
        }
    ci = results.get('ci')
    train = {
        k[len('train_'):]: v.get('train_minutes')
        for k, v in results.items() if k.startswith('train_')
    }
    return dict(
        commit=commit,
        seeds=list(seeds),
        ssd=model('ssd'),
        led=model('led'),
        scoring_same_weights=same,
        pearson_iou=pearson,
        latency_ratio_led_over_ssd=dict(
            vgg16_b1=latency(results, 'vgg16', 1),
            vgg16_b8=latency(results, 'vgg16', 8),
            cpu_model_b1=latency(results, 'cpu', 1)),
        train_step_ratio_led_over_ssd=train_ratios(results),
        train_minutes=train,
        iterations={
            key: sorted({
                v['max_iters']
                for k, v in results.items()
                if k.startswith(f'train_{key}_s') and 'max_iters' in v
            }) or None
            for key in ('ssd', 'led')
        },
        ci95={k: v['ci95']
              for k, v in ci['differences'].items()} if ci else None,
        ci95_two_level={
            k: v.get('ci95_two_level')
            for k, v in ci['differences'].items()
        } if ci else None,
        seed_planning=seed_planning(results, seeds),
        targets=evaluate_targets(results, seeds),
        metric_definitions=METRIC_DEFINITIONS,
        generated=now())


def judge(interval: Sequence[float], need: float, strict: bool) -> str:
    """Status of a target ``diff >= need`` (``> need`` if ``strict``) from
    a 95% interval of ``diff``: met if all of it meets the target, missed
    if none of it does, else unresolved."""
    low, high = interval
    if low > need or (low == need and not strict):
        return 'met'
    if high < need or (high == need and strict):
        return 'missed'
    return 'unresolved'


def evaluate_targets(results: Dict[str, dict],
                     seeds: Sequence[int]) -> List[dict]:
    """The benchmark's targets: measured vs target, met/missed/pending;
    differences between models or scorings are judged on their two-level
    interval (met/missed/unresolved, pending without one)."""
    targets = []
    diffs = (results.get('ci') or {}).get('differences') or {}

    def add(name, target, measured, ok, note='', pending='', status=None):
        status = status or ('pending' if measured is None else
                            'met' if ok(measured) else 'missed')
        targets.append(
            dict(
                name=name,
                target=target,
                measured=measured,
                status=status,
                note=pending if measured is None else note))

    def add_difference(name, target, measured, key, need, strict, note,
                       pending):
        """A difference target, judged on ``ci[key]``'s two-level
        interval."""
        ci = diffs.get(key)
        two = (ci or {}).get('ci95_two_level')
        status = None
        if measured is not None:
            if two:
                status = judge(two, need, strict)
                note += ('; two-level 95% CI [{:.2f}, {:.2f}] over {} seeds'
                         .format(*two, ci['num_seeds']))
            else:
                status = 'pending'
                note += '; two-level interval pending (rerun part ci)'
            if ci:
                note += '; per-image 95% CI [{:.2f}, {:.2f}]'.format(
                    *ci['ci95'])
        add(name, target, measured, None, note, pending, status)

    n = len(seeds)
    ssd50, n_ssd = seed_stats(results, 'ssd', seeds, 'mAP50')
    add('CPU SSD baseline mAP@0.5 on test (mean over seeds)', '>= 25.0',
        ssd50, lambda x: x >= 25.0, f'{n_ssd}/{n} seeds',
        'needs eval/ssd_s*')
    for metric, need in TARGET_EFFECTS:
        led, n_led = seed_stats(results, 'led', seeds, metric)
        ssd, n_ssd = seed_stats(results, 'ssd', seeds, metric)
        diff = None if led is None or ssd is None else led - ssd
        label = 'mAP@0.5' if metric == 'mAP50' else 'AP@0.7'
        add_difference(f'LED - SSD {label} (mean over seeds)',
                       f'>= +{need:.1f}', diff, f'led-ssd/{metric}', need,
                       False, f'LED {n_led}/{n}, SSD {n_ssd}/{n} seeds',
                       'needs eval/led_s* and eval/ssd_s*')
    scoring = results.get('scoring')
    for metric, label in (('mAP50', 'mAP@0.5'), ('AP70', 'AP@0.7')):
        diff = None
        note = ''
        if scoring:
            g = scoring['mean'].get('gaussian', {}).get(metric)
            c = scoring['mean'].get('cls', {}).get(metric)
            diff = None if g is None or c is None else g - c
            note = f'{len(scoring["runs"])}/{n} seeds'
        add_difference(f'same weights: gaussian - cls {label}', '> 0', diff,
                       f'gaussian-cls/{metric}', 0.0, True, note,
                       'needs scoring')
    calib = results.get('calibration')
    r_loc = r_cls = None
    if calib:
        r_loc = calib['mean_led']['conf_loc']['pearson']
        r_cls = calib['mean_led']['conf_cls']['pearson']
    seeds_note = (f'Pearson, {len([r for r in calib["runs"] if "led" in r])}'
                  ' LED seeds' if calib else '')
    add('corr(conf_loc, true IoU)', '>= 0.60', r_loc, lambda x: x >= 0.6,
        seeds_note, 'needs calibration')
    gap = None if r_loc is None or r_cls is None else r_loc - r_cls
    add('corr(conf_loc, IoU) - corr(conf_cls, IoU)', '>= +0.15', gap,
        lambda x: x >= 0.15, seeds_note, 'needs calibration')
    lat = latency(results, 'vgg16', 1)
    dev = ((results.get('speed') or {}).get('speed') or {}).get('device', '')
    add('LED300 / SSD300-VGG16 batch-1 latency (forward + post-processing)',
        '<= 1.10', lat, lambda x: x <= 1.10, f'measured on {dev}',
        'needs speed')
    return targets
