from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmdet.registry import METRICS
from mmdet.structures.bbox import BaseBoxes, get_box_tensor
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from ...models.task_modules.loc_quality import loc_quality_targets
from ...models.utils.le_scoring import derived_iou
from ..functional.calibration import binned_calibration, correlation_table
from ..functional.laece import image_tp_ious, laece
from ..functional.object_ranking import image_object_rank_correlations

SWITCH = 'model.test_cfg.prenms_candidates=dict(topk=100, score_thr=0.01)'


def _cpu(value) -> torch.Tensor:
    """A field of a data sample (tensor, box structure or array) as a CPU
    tensor."""
    if isinstance(value, (torch.Tensor, BaseBoxes)):
        return get_box_tensor(value).detach().cpu()
    return torch.as_tensor(value)


@METRICS.register_module()
class LocQualityMetric(BaseMetric):
    """How well a detector's confidences track the true localization quality.

    Evaluates the pre-NMS candidates that a loc-quality head stores on each
    data sample as ``pred_candidates`` when its ``test_cfg`` holds
    ``prenms_candidates=dict(topk=100, score_thr=0.01)`` (``LEDHead``:
    the ``topk`` candidates of highest final confidence above
    ``score_thr``, NMS skipped). The true IoU of a candidate is its
    class-agnostic highest IoU with the image's non-difficult objects (as
    LED's training targets). Reported, with the ``loc_quality/`` prefix:

    - ``pearson_<s>`` and ``spearman_<s>``: correlation (``scipy.stats``)
      with the true IoU of each signal ``s``: ``conf_cls`` (class
      confidence), ``pred_iou`` (predicted IoU), ``iou_derived`` (IoU' from
      the predicted IoD and IoG), ``conf_loc`` and ``conf_final`` (the
      confidence NMS ranks by); ``pred_iou``/``iou_derived`` need the
      candidates' ``loc_quality``;
    - ``laece_<s>`` for ``conf_final``, ``conf_loc`` and ``conf_cls``:
      the localization-aware calibration error (Oksuz et al., CVPR 2023),
      true positives matched greedily at IoU ``iou_thr`` within the class
      (see :mod:`mmdet_led.evaluation.functional.laece`);
    - ``object_spearman_<s>`` for every signal: the mean over objects of
      the rank correlation with the true IoU among the candidates of one
      object (those of its class that overlap it most, by IoU >=
      ``object_iou_thr``; objects with at least ``min_object_candidates``),
      the ranking NMS acts on
      (:mod:`mmdet_led.evaluation.functional.object_ranking`), and
      ``num_objects_<s>``, the objects it is the mean over (those where the
      correlation is defined); the global correlations above also reward
      telling objects from background;
    - ``num_candidates`` and ``mean_true_iou``.

    With ``reliability_bins`` the log also shows the reliability curve: the
    mean true IoU of the candidates in equal-width bins of each signal.
    Undefined values (e.g. a constant signal) are NaN.

    A head without loc-quality estimates (a plain ``SSDHead``) stores no
    candidates; the metric then stops with an error, as it does when the
    switch is off.

    Args:
        iou_thr (float): Least IoU of a true positive in LaECE. Defaults to
            0.1, the authors' choice.
        num_bins (int): Confidence bins of LaECE. Defaults to 25, the
            authors' choice.
        reliability_bins (int, optional): Bins of the logged reliability
            curve; None or 0 logs none. Defaults to 10.
        object_iou_thr (float): Least IoU of a candidate with its object in
            ``object_spearman_<s>``. Defaults to 0.5.
        min_object_candidates (int): Least candidates of an object ranked
            in ``object_spearman_<s>``. Defaults to 5.
        collect_device (str): 'cpu' or 'gpu', for distributed collection.
        prefix (str, optional): Metric name prefix. Defaults to
            'loc_quality'.
    """
    default_prefix: Optional[str] = 'loc_quality'
    #: Signals correlated with the true IoU, in report order.
    SIGNALS = ('conf_cls', 'pred_iou', 'iou_derived', 'conf_loc',
               'conf_final')
    #: Confidences whose LaECE is reported.
    LAECE_SIGNALS = ('conf_final', 'conf_loc', 'conf_cls')

    def __init__(self,
                 iou_thr: float = 0.1,
                 num_bins: int = 25,
                 reliability_bins: Optional[int] = 10,
                 object_iou_thr: float = 0.5,
                 min_object_candidates: int = 5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.iou_thr = iou_thr
        self.num_bins = num_bins
        self.reliability_bins = reliability_bins
        self.object_iou_thr = object_iou_thr
        self.min_object_candidates = min_object_candidates

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Signals, true IoU and LaECE accuracy terms of every candidate."""
        for sample in data_samples:
            self.results.append(self.candidate_arrays(sample))

    def candidate_arrays(self, sample: dict) -> Dict[str, np.ndarray]:
        """Per-candidate arrays of one data sample (as a dict).

        Raises:
            ValueError: If the sample has no ``pred_candidates`` or they carry
                no ``loc_scores``.
        """
        cands = sample.get('pred_candidates')
        if cands is None or 'loc_scores' not in cands:
            pred = sample.get('pred_instances', {})
            why = ('the pre-NMS candidates are missing: turn them on with '
                   f'{SWITCH} (e.g. --cfg-options '
                   'model.test_cfg.prenms_candidates.topk=100)')
            if 'loc_scores' not in pred:
                why = ('the predictions carry no loc_scores: the head '
                       'estimates no localization quality (a plain SSDHead?)'
                       f'; use a head that does (LEDHead) with {SWITCH}')
            raise ValueError(f'LocQualityMetric: {why}')
        cands = {k: _cpu(v) for k, v in cands.items()}
        gt = {k: _cpu(v) for k, v in sample['gt_instances'].items()}
        ignored = {
            k: _cpu(v).numpy()
            for k, v in sample.get('ignored_instances', {}).items()
        }
        bboxes = cands['bboxes'].float()
        gt_bboxes = gt['bboxes'].float().reshape(-1, 4)
        true = loc_quality_targets(bboxes, gt_bboxes)
        out = dict(
            labels=cands['labels'],
            conf_final=cands['scores'],
            conf_cls=cands['cls_scores'],
            conf_loc=cands['loc_scores'],
            true_iou=true[:, 0])
        if 'loc_quality' in cands:
            quality = cands['loc_quality']
            out.update(
                pred_iou=quality[:, 0],
                iou_derived=derived_iou(quality[:, 1], quality[:, 2]))
        out = {k: v.numpy() for k, v in out.items()}
        for name in self.LAECE_SIGNALS:
            out[f'tp_iou_{name}'] = image_tp_ious(
                bboxes.numpy(),
                out[name],
                out['labels'],
                gt_bboxes.numpy(),
                gt['labels'].numpy(),
                ignored.get('bboxes'),
                ignored.get('labels'),
                iou_thr=self.iou_thr)
        rhos = image_object_rank_correlations(
            {s: out[s]
             for s in self.SIGNALS if s in out}, bboxes.numpy(),
            out['labels'], gt_bboxes.numpy(), gt['labels'].numpy(),
            self.object_iou_thr, self.min_object_candidates)
        out.update({f'object_rho_{s}': rho for s, rho in rhos.items()})
        out['gt_classes'] = np.unique(gt['labels'].numpy())
        return out

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Correlations, LaECE and counts over all candidates."""
        cat = {
            k: np.concatenate([r[k] for r in results])
            for k in results[0] if k != 'gt_classes'
        }
        if cat['true_iou'].size == 0:
            raise ValueError(
                'LocQualityMetric: no pre-NMS candidate in any image; lower '
                'model.test_cfg.prenms_candidates.score_thr')
        signals = [s for s in self.SIGNALS if s in cat]
        table = correlation_table({s: cat[s]
                                   for s in signals}, cat['true_iou'])
        metrics = {}
        for s in signals:
            for stat in ('pearson', 'spearman'):
                value = table[s][stat]
                metrics[f'{stat}_{s}'] = np.nan if value is None else value
        classes = np.unique(np.concatenate([r['gt_classes']
                                            for r in results]))
        for s in self.LAECE_SIGNALS:
            value = laece(cat[s], cat['labels'], cat[f'tp_iou_{s}'], classes,
                          self.num_bins)['laece']
            metrics[f'laece_{s}'] = np.nan if value is None else value
        for s in signals:
            rho = cat[f'object_rho_{s}']
            metrics[f'object_spearman_{s}'] = (
                float(rho.mean()) if rho.size else np.nan)
            metrics[f'num_objects_{s}'] = int(rho.size)
        metrics['num_candidates'] = int(cat['true_iou'].size)
        metrics['mean_true_iou'] = float(cat['true_iou'].mean())
        if self.reliability_bins:
            self.log_reliability(cat, signals)
        return metrics

    def log_reliability(self, cat: Dict[str, np.ndarray],
                        signals: List[str]) -> None:
        """Log the reliability curve: per bin of each signal, the mean true
        IoU of its candidates and their number."""
        curves = {
            s: binned_calibration(cat[s], cat['true_iou'],
                                  self.reliability_bins)
            for s in signals
        }
        edges = next(iter(curves.values()))['edges']
        rows = []
        for b in range(self.reliability_bins):
            close = ']' if b == self.reliability_bins - 1 else ')'
            row = [f'[{edges[b]:.2f}, {edges[b + 1]:.2f}{close}']
            for s in signals:
                mean, num = curves[s]['mean_true'][b], curves[s]['counts'][b]
                row.append('-' if mean is None else f'{mean:.3f} ({num})')
            rows.append(row)
        print_log(
            'mean true IoU (candidates) per bin of each signal:\n' +
            AsciiTable([['bin'] + signals] + rows).table,
            logger='current')
