"""KITTI object benchmark metric for 2D boxes (official devkit rules)."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmdet.registry import METRICS
from ...datasets.kitti_utils import format_kitti_result_line
from ..functional.kitti_eval import (KITTI_DIFFICULTIES, format_kitti_table,
                                     kitti_eval_2d)


@METRICS.register_module()
class KittiMetric(BaseMetric):
    """KITTI 2D object detection metric, AP|R40 and AP|R11 per level.

    Ground truth comes from the ``kitti_annos`` meta field that
    :class:`~mmdet_led.datasets.KittiDataset` puts into each data info (all
    label lines of the image, with truncation and occlusion, which the
    difficulty rules need); add it to the test pipeline's ``PackDetInputs``::

        dict(type='PackDetInputs',
             meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                        'scale_factor', 'kitti_annos'))

    Predictions are ``pred_instances.bboxes`` (in original image pixels, as
    mmdet's heads return them with ``rescale=True``), ``scores`` and
    ``labels`` (indices into ``dataset_meta['classes']``).

    The metric keys are ``{class}_{easy|moderate|hard}_AP_R40`` and
    ``..._AP_R11`` (in percent), e.g. ``kitti/Car_moderate_AP_R40`` with
    the default prefix.

    Args:
        classes (Sequence[str], optional): Classes to evaluate. Defaults to
            None, all classes of ``dataset_meta``.
        min_overlaps (dict[str, float], optional): Minimum IoU per class,
            overriding the devkit's 0.7 (Car) / 0.5 (Pedestrian, Cyclist);
            required for other classes. Defaults to None.
        outfile_prefix (str, optional): Folder to write the detections to,
            one KITTI result file ``<img_id>.txt`` per image (16 fields, the
            unknown 3D fields as ``-1``/``-1000``/``-10``), the layout the
            devkit and ``tools/eval_kitti.py --result-dir`` read.
            Defaults to None.
        format_only (bool): Only write the result files (e.g. for the
            unlabelled test split), do not evaluate. Needs
            ``outfile_prefix``. Defaults to False.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None, i.e. ``'kitti'``.
    """

    default_prefix: Optional[str] = 'kitti'

    def __init__(self,
                 classes: Optional[Sequence[str]] = None,
                 min_overlaps: Optional[Dict[str, float]] = None,
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if format_only and outfile_prefix is None:
            raise ValueError('outfile_prefix must be set when format_only '
                             'is True, otherwise nothing is written')
        self.classes = tuple(classes) if classes is not None else None
        self.min_overlaps = dict(min_overlaps or {})
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Collect the predictions and ground truth of one batch.

        Args:
            data_batch (dict): A batch of data from the dataloader (unused).
            data_samples (Sequence[dict]): Data samples (as dicts) with
                ``pred_instances`` and the meta fields ``img_id`` and
                ``kitti_annos``.
        """
        class_names = self.dataset_meta['classes']
        for sample in data_samples:
            pred = sample['pred_instances']
            bboxes = pred['bboxes'].detach().cpu().numpy().reshape(-1, 4)
            scores = pred['scores'].detach().cpu().numpy().reshape(-1)
            labels = pred['labels'].detach().cpu().numpy().reshape(-1)
            dets = [
                dict(
                    type=class_names[int(label)],
                    bbox=[float(v) for v in bbox],
                    score=float(score))
                for bbox, score, label in zip(bboxes, scores, labels)
            ]
            gt = sample.get('kitti_annos', None)
            if gt is None and not self.format_only:
                raise KeyError(
                    'KittiMetric needs the raw KITTI labels in the data '
                    'sample: use KittiDataset and add "kitti_annos" to the '
                    'meta_keys of PackDetInputs in the test pipeline')
            self.results.append(
                dict(img_id=str(sample['img_id']), gt=gt, dets=dets))

    def write_results(self, results: List[dict], out_dir: str) -> None:
        """Write one KITTI result file per image.

        Args:
            results (list[dict]): Collected results with ``img_id`` and
                ``dets``.
            out_dir (str): Output folder, created if needed.
        """
        os.makedirs(out_dir, exist_ok=True)
        for res in results:
            lines = [
                format_kitti_result_line(d['type'], d['bbox'], d['score'])
                for d in res['dets']
            ]
            with open(osp.join(out_dir, f'{res["img_id"]}.txt'), 'w') as f:
                f.write(''.join(line + '\n' for line in lines))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Evaluate the collected results.

        Args:
            results (list): Output of :meth:`process` of all batches.

        Returns:
            dict[str, float]: ``{class}_{level}_AP_R40`` and ``..._AP_R11``
            in percent; empty with ``format_only``.
        """
        logger: MMLogger = MMLogger.get_current_instance()
        if self.outfile_prefix is not None:
            self.write_results(results, self.outfile_prefix)
            logger.info(f'KITTI result files written to '
                        f'{self.outfile_prefix}')
        if self.format_only:
            return OrderedDict()
        classes = self.classes or tuple(self.dataset_meta['classes'])
        ap = kitti_eval_2d([r['gt'] for r in results],
                           [r['dets'] for r in results],
                           classes=classes,
                           min_overlaps=self.min_overlaps)
        logger.info(f'KITTI 2D detection AP (%), {len(results)} images:\n' +
                    format_kitti_table(ap))
        metrics: Dict[str, float] = OrderedDict()
        for kind in ('AP_R40', 'AP_R11'):
            for cls in classes:
                for level in KITTI_DIFFICULTIES:
                    metrics[f'{cls}_{level}_{kind}'] = ap[cls][level][kind]
        return metrics
