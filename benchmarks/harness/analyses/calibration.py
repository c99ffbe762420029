"""``calibration``: does a confidence track the true IoU of its box?

Per LED (and, as reference, SSD) run: the pre-NMS detections of every test
image (:func:`mmdet_led.evaluation.raw_outputs.prenms_candidates`), the
Pearson/Spearman correlation of each signal with the true IoU, reliability
bins, and a Fig. 1 style picture of candidates around one object.
"""
import os
import os.path as osp
import time
from typing import Any, Dict, List, Optional

import numpy as np

from mmdet_led.evaluation.functional import (binned_calibration,
                                             correlation_table)
from mmdet_led.evaluation.raw_outputs import prenms_candidates
from ..common import log, mean_or_none, rel
from ..evaluate import RunData
from ..meta import base_meta
from ..registry import (CALIB_BINS, CALIB_SCORE_THR, CALIB_SIGNALS,
                        CALIB_TOPK, CPU_LED, CPU_SSD, FIG1_IMAGES)

DEFINITION = (
    f'pre-NMS detections of each test image: top {CALIB_TOPK} by final '
    f'confidence with score > {CALIB_SCORE_THR}; true IoU = class-agnostic '
    'max IoU with the non-difficult ground-truth boxes (like LED\'s training '
    'targets), original image coordinates; IoU\' = IoD*IoG/(IoD+IoG-IoD*IoG) '
    'from the predicted IoD/IoG; conf_loc = lambda*IoU + (1-lambda)*IoU\'')


def run_candidates(data: RunData) -> List[dict]:
    """The calibration's pre-NMS candidates of a finished run."""
    return prenms_candidates(data.model.bbox_head, data.raw, data.test_cfg,
                             CALIB_SCORE_THR, CALIB_TOPK)


def tile(images: List[np.ndarray], cols: int = 2,
         gap: int = 8) -> np.ndarray:
    """RGB images on a white grid, ``cols`` per row, top-left aligned."""
    h = max(i.shape[0] for i in images) + gap
    w = max(i.shape[1] for i in images) + gap
    rows = -(-len(images) // cols)
    canvas = np.full((rows * h - gap, min(cols, len(images)) * w - gap, 3),
                     255, np.uint8)
    for k, img in enumerate(images):
        y, x = (k // cols) * h, (k % cols) * w
        canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
    return canvas


def save_palette_png(image: np.ndarray, path: str, colors: int = 256) -> None:
    """Save an RGB image as a palette PNG (photos: ~4x smaller)."""
    from PIL import Image
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Image.fromarray(image).quantize(colors=colors).save(path, optimize=True)


def draw_fig1(data: RunData, cands: List[dict], path: str) -> Optional[dict]:
    """Fig. 1 style picture: pre-NMS boxes labelled conf_cls / conf_loc.

    Images: the first ``FIG1_IMAGES`` of the split (in list order) that
    have a non-difficult object and a candidate - not picked by outcome.
    Per image: the ground truth (green, dashed) and up to 4 pre-NMS
    candidates around one object
    (:func:`mmdet_led.visualization.fig1_candidates`), drawn by
    :class:`mmdet_led.visualization.LocQualityVisualizer`.
    """
    from mmcv import imread

    from mmdet_led.visualization import LocQualityVisualizer, fig1_candidates
    raw = data.raw
    chosen = [
        i for i, c in enumerate(cands)
        if raw['anns'][i]['bboxes'].shape[0] > 0 and c['labels'].size
    ][:FIG1_IMAGES]
    if not chosen:
        return None
    vis = LocQualityVisualizer(name=f'fig1_{data.run.name}_{time.time()}')
    drawn = []
    for i in chosen:
        gts = raw['anns'][i]['bboxes'].numpy()
        obj, idx = fig1_candidates(cands[i], gts)
        drawn.append(
            vis.draw_candidates(
                imread(raw['metas'][i]['img_path'], channel_order='rgb'),
                cands[i], [idx],
                raw['classes'],
                gt_bboxes=gts,
                highlight=[] if obj is None else [obj],
                title=f'{data.run.name} {raw["img_ids"][i]}'))
    save_palette_png(tile(drawn), path)
    return dict(
        path=rel(path),
        run=data.run.name,
        images=[raw['img_ids'][i] for i in chosen])


def part_calibration(bench: Any, part: Any) -> dict:
    """Correlations with the true IoU, reliability bins, Fig. 1 picture."""
    started = time.time()
    per_run: Dict[str, dict] = {}
    fig1 = None
    led_runs = bench.done_runs('led')
    runs = led_runs + bench.done_runs('ssd')
    for run in runs:
        data = RunData(bench, run)
        cands = run_candidates(data)
        cat = {
            k: np.concatenate([c[k] for c in cands])
            for k in cands[0] if k not in ('bboxes', 'labels')
        }
        signals = [s for s in CALIB_SIGNALS if s in cat]
        if run.key == 'ssd':
            signals = ['conf_cls']
        per_run[run.name] = dict(
            model=run.key,
            num_images=len(cands),
            num_dets=int(cat['true_iou'].size),
            mean_true_iou=float(cat['true_iou'].mean())
            if cat['true_iou'].size else None,
            correlations=correlation_table({s: cat[s]
                                            for s in signals},
                                           cat['true_iou']),
            bins={
                s: binned_calibration(cat[s], cat['true_iou'], CALIB_BINS)
                for s in signals
            })
        log(f'calibration {run.name}: ' + ', '.join(
            f'{s} r={per_run[run.name]["correlations"][s]["pearson"]}'
            for s in signals))
        if fig1 is None and run.key == 'led':
            fig1 = draw_fig1(data, cands,
                             osp.join(bench.figures_dir, 'fig1_examples.png'))
    mean = {}
    led_names = [r.name for r in led_runs]
    for s in CALIB_SIGNALS:
        mean[s] = {
            k: mean_or_none([
                per_run[r]['correlations'].get(s, {}).get(k)
                for r in led_names
            ])
            for k in ('pearson', 'spearman')
        }
    ssd_names = [n for n, v in per_run.items() if v['model'] == 'ssd']
    mean['ssd_conf_cls'] = {
        k: mean_or_none(
            [per_run[r]['correlations']['conf_cls'][k] for r in ssd_names])
        for k in ('pearson', 'spearman')
    }
    return base_meta(
        bench,
        part,
        started,
        runs=list(per_run),
        seeds=sorted({r.seed for r in runs}),
        config=[CPU_LED, CPU_SSD],
        definition=DEFINITION,
        per_run=per_run,
        mean_led=mean,
        fig1=fig1)
