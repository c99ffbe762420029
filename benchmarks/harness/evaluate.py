"""``eval/<run>``: one test pass with raw head outputs, then re-scoring.

The test pass stores the head's raw per-level outputs (``raw_<split>.pth``,
:func:`mmdet_led.evaluation.raw_outputs.record_test_pass`); every scoring
variant of the analyses is re-scored from them through the head's own
``predict_by_feat`` (:class:`RunData`). ``eval/<run>`` checks that the
re-scored detections equal the test pass's bit for bit and that the VOC
maths of :mod:`mmdet_led.evaluation.functional` gives ``VOCMetric``'s mAP.
"""
import copy
import hashlib
import json
import os
import os.path as osp
import pickle
import time
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from mmdet_led.evaluation.functional import (dets_per_class, match_voc,
                                             voc_metrics, weighted_class_aps,
                                             weighted_map)
from mmdet_led.evaluation.raw_outputs import (record_test_pass, rescore,
                                              voc_matches)
from .common import RESULT_VERSION, ROOT, jsonable, log, pct, rel
from .meta import run_meta

METRIC_DEFINITIONS = dict(
    mAP50='VOC2007 11-point mAP at IoU 0.5 (the paper metric), percent',
    AP70='VOC2007 11-point mAP at IoU 0.7, percent',
    AP75='VOC2007 11-point mAP at IoU 0.75, percent',
    AP='mean over IoU 0.50:0.05:0.95 of the all-point (area) mAP with VOC '
    'matching rules (difficult objects ignored); COCO-style, not COCO '
    'evaluation; percent')


def build_detector(cfg: Config, checkpoint: str) -> torch.nn.Module:
    """Detector of ``cfg`` with ``checkpoint`` loaded, eval mode, CPU."""
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    load_checkpoint(
        model,
        checkpoint,
        map_location='cpu',
        strict=True,
        revise_keys=[(r'^module.', '')],
        logger='silent')
    return model.eval()


def vocmetric_map(preds: Sequence[dict], anns: Sequence[dict],
                  num_classes: int, eval_mode: str) -> float:
    """mAP@0.5 exactly as ``VOCMetric`` computes it, in one process.

    MMDetection's ``eval_map`` with ``VOCMetric``'s arguments and per-class
    arrays. ``VOCMetric`` always evaluates with a ``multiprocessing.Pool(4)``
    made by fork; forking inside a process that already runs torch threads
    and data-loader workers (this harness, or pytest) can deadlock, so
    ``eval_map`` runs here with ``nproc=1``.

    Args:
        preds (Sequence[dict]): Per image ``bboxes``, ``scores``,
            ``labels`` (numpy).
        anns (Sequence[dict]): Per image VOC annotations (numpy).
        num_classes (int): Number of classes.
        eval_mode (str): ``'11points'`` or ``'area'``.
    """
    from mmdet.evaluation.functional import eval_map
    mean_ap, _ = eval_map(
        [
            dets_per_class(p['bboxes'], p['scores'], p['labels'],
                           num_classes) for p in preds
        ],
        list(anns),
        iou_thr=0.5,
        dataset='voc',
        logger='silent',
        eval_mode=eval_mode,
        use_legacy_coordinate=True,
        nproc=1)
    return float(mean_ap)


def numpy_dicts(items: Sequence[Dict[str, torch.Tensor]]) -> List[dict]:
    """Per-image dicts of tensors as dicts of numpy arrays."""
    return [{k: v.numpy() for k, v in a.items()} for a in items]


def dump_raw(cfg: Config, model: torch.nn.Module, out_path: str) -> dict:
    """One pass of the test loop (as ``tools/test.py`` runs it) that keeps,
    per image, the head's raw outputs, the meta, the ground truth and the
    predictions; saved to ``out_path``.

    Args:
        cfg (Config): The run's config (test loader and evaluator).
        model (torch.nn.Module): Its detector (:func:`build_detector`).
        out_path (str): Where the data is saved.

    Returns:
        dict: The stored data (see :mod:`mmdet_led.evaluation.raw_outputs`)
        plus ``version`` and ``metrics``: ``pascal_voc/mAP`` as
        ``VOCMetric`` computes it (:func:`vocmetric_map`).
    """
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(cfg.test_dataloader)
    raw = record_test_pass(model, loader)
    mean_ap = vocmetric_map(
        numpy_dicts(raw['preds']), numpy_dicts(raw['anns']),
        len(raw['classes']), cfg.test_evaluator.get('eval_mode', '11points'))
    raw = dict(
        version=RESULT_VERSION, **raw, metrics={'pascal_voc/mAP': mean_ap})
    torch.save(raw, out_path)
    return raw


def load_raw(path: str) -> dict:
    """Stored raw outputs (:func:`dump_raw`)."""
    return torch.load(path, map_location='cpu', weights_only=True)


def variant_cfg(base_cfg: Any, **updates) -> Any:
    """A copy of a ``test_cfg`` with ``updates``."""
    cfg = copy.deepcopy(base_cfg)
    cfg.update(updates)
    return cfg


def accuracy_metrics(matches: Any,
                     weights: Optional[np.ndarray] = None) -> dict:
    """The benchmark's metrics (:func:`voc_metrics`: mAP50, AP70, AP) plus
    ``AP75``, the 11-point mAP at IoU 0.75, per weight row (fractions)."""
    return dict(
        voc_metrics(matches, weights),
        AP75=weighted_map(matches, weights, 0.75, '11points'))


def metrics_percent(matches) -> Dict[str, float]:
    """mAP50, AP70, AP and AP75 of VOC matches, in percent."""
    return {k: pct(v[0]) for k, v in accuracy_metrics(matches).items()}


def per_class_ap50(matches, classes: Sequence[str]) -> Dict[str, Any]:
    """11-point AP@0.5 per class in percent (None without ground truth)."""
    aps, num_gts = weighted_class_aps(matches, None, 0.5, '11points')
    return {
        c: (pct(aps[0, i]) if num_gts[0, i] > 0 else None)
        for i, c in enumerate(classes)
    }


class RunData:
    """A finished run: its config, detector and raw outputs (lazy)."""

    def __init__(self, bench: Any, run: Any) -> None:
        self.bench, self.run = bench, run
        self.train = bench.result(f'train/{run.name}')
        if self.train is None:
            raise RuntimeError(f'train/{run.name} is not done')
        self.cfg = Config.fromfile(
            osp.join(ROOT, self.train['config_dumped']))
        self.checkpoint = osp.join(ROOT, self.train['checkpoint'])
        self.raw_path = osp.join(
            bench.run_dir(run), f'raw_{run.eval_split}.pth')
        self._raw = self._model = None

    @property
    def model(self) -> torch.nn.Module:
        if self._model is None:
            self._model = build_detector(self.cfg, self.checkpoint)
        return self._model

    @property
    def raw(self) -> dict:
        if self._raw is None:
            self._raw = load_raw(self.raw_path)
        return self._raw

    @property
    def test_cfg(self) -> Any:
        """The config's ``model.test_cfg``: the very object the detector
        hands its head, so reading it builds no model."""
        return self.cfg.model.test_cfg

    def detections(self, **updates) -> list:
        """Per image detections re-scored with ``test_cfg`` ``updates``."""
        return rescore(self.model.bbox_head, self.raw,
                       variant_cfg(self.test_cfg, **updates))

    def _cache_path(self, **updates) -> str:
        cfg = variant_cfg(self.test_cfg, **updates)
        stat = os.stat(self.raw_path)
        key = hashlib.sha1(
            json.dumps([
                stat.st_size, stat.st_mtime_ns,
                jsonable(cfg.to_dict())
            ],
                       sort_keys=True).encode()).hexdigest()[:16]
        return osp.join(
            osp.dirname(self.raw_path), 'cache',
            f'matches_{self.run.eval_split}_{key}.pkl')

    def matches(self, **updates):
        """VOC matches of the detections re-scored with ``updates``,
        cached next to the raw outputs (keyed by the raw file and the full
        test_cfg, so a new test pass or another variant never hits a stale
        entry)."""
        path = self._cache_path(**updates)
        if osp.isfile(path):
            with open(path, 'rb') as fh:
                return pickle.load(fh)
        matches = voc_matches(self.detections(**updates), self.raw)
        self.store_matches(matches, **updates)
        return matches

    def store_matches(self, matches, **updates) -> None:
        path = self._cache_path(**updates)
        os.makedirs(osp.dirname(path), exist_ok=True)
        with open(path + '.tmp', 'wb') as fh:
            pickle.dump(matches, fh)
        os.replace(path + '.tmp', path)


def part_eval(bench: Any, part: Any) -> dict:
    """Test pass with raw outputs, then the metrics from re-scoring, checked
    against the test pass itself."""
    run = part.run
    started = time.time()
    data = RunData(bench, run)
    train = data.train
    # Test-time settings follow the config as it is now (training does not
    # depend on them), and so does the dumped config tools/test.py reads.
    current = bench.build_config(run).model.test_cfg
    if data.cfg.model.test_cfg.to_dict() != current.to_dict():
        log(f'{run.name}: test_cfg taken from the current config, '
            f'{train["config_dumped"]} rewritten')
        data.cfg.model.test_cfg = current
        data.cfg.dump(osp.join(ROOT, train['config_dumped']))
    log(f'{run.name}: test pass on {run.eval_split} '
        f'({bench.splits[run.eval_split]})')
    raw = dump_raw(data.cfg, data.model, data.raw_path)
    data._raw = raw
    classes = raw['classes']
    anns = numpy_dicts(raw['anns'])
    # 1. re-scored detections == the test pass's, bit for bit
    rescored = data.detections()
    same = all(
        np.array_equal(r.bboxes.numpy(), p['bboxes'].numpy())
        and np.array_equal(r.scores.numpy(), p['scores'].numpy())
        and np.array_equal(r.labels.numpy(), p['labels'].numpy())
        for r, p in zip(rescored, raw['preds']))
    # 2. our VOC maths on the test pass's detections == VOCMetric (each IoU
    # threshold is matched on its own, so the 0.5 row of the matching at
    # every threshold is the matching at 0.5 alone)
    passed = [
        dets_per_class(p['bboxes'], p['scores'], p['labels'], len(classes))
        for p in numpy_dicts(raw['preds'])
    ]
    matches = match_voc(passed, anns)
    ours = float(weighted_map(matches)[0])
    theirs = raw['metrics'].get('pascal_voc/mAP')
    checks = dict(
        rescored_equals_test_pass=bool(same),
        vocmetric_mAP=theirs,
        voc_bootstrap_mAP=ours,
        voc_bootstrap_equals_vocmetric=(theirs is not None
                                        and ours == theirs))
    if not same or not checks['voc_bootstrap_equals_vocmetric']:
        raise RuntimeError(f'{run.name}: re-scoring check failed: {checks}')
    # the re-scored detections' matches too: they equal the test pass's
    data.store_matches(matches)
    metrics = metrics_percent(matches)
    log(f'{run.name}: mAP50 {metrics["mAP50"]:.2f}  AP70 '
        f'{metrics["AP70"]:.2f}  AP {metrics["AP"]:.2f}  (checks passed)')
    return run_meta(
        bench,
        part,
        started,
        run,
        split=run.eval_split,
        ann_file=bench.splits[run.eval_split],
        num_images=len(anns),
        checkpoint=train['checkpoint'],
        config_dumped=train['config_dumped'],
        raw_outputs=rel(data.raw_path),
        test_cfg=jsonable(data.test_cfg.to_dict()),
        metrics=metrics,
        per_class_AP50=per_class_ap50(matches, classes),
        num_gts={
            c: int(matches.classes[i].num_gts.sum())
            for i, c in enumerate(classes)
        },
        checks=checks,
        metric_definitions=METRIC_DEFINITIONS)
