"""Keep a dense head's raw outputs from a test pass and re-score them.

A test pass through a one-stage detector ends in the head's
``predict_by_feat`` (decoding, scoring, NMS). Storing what goes into it,
the per-level output maps and the image meta, lets any other ``test_cfg``
(score mode, LE lambda/sigma, thresholds, no NMS) be applied later without
running the network again, and gives exactly the detections a test pass
with that ``test_cfg`` would (:func:`rescore`).

The stored form (``raw``), one entry per image in loader order:

- ``metas``: the image meta as plain Python values;
- ``outs``: per output kind of ``head.forward`` (``cls_scores``,
  ``bbox_preds`` and, for LED, ``le_preds``; kinds that are None are left
  out), the list of per-level maps of that image;
- ``img_ids``, ``classes``; ``anns``: the ground truth (``bboxes``,
  ``labels``, ``bboxes_ignore``, ``labels_ignore``) and ``preds``: the test
  pass's detections (``bboxes``, ``scores``, ``labels``), as tensors.
"""
import contextlib
import copy
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import nn


def plain(value: Any) -> Any:
    """``value`` with tensors and numpy values as plain Python (safe to
    load with ``torch.load(weights_only=True)``)."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@contextlib.contextmanager
def capture_head_outputs(model: nn.Module) -> Iterator[List[List[list]]]:
    """Record ``model.bbox_head``'s forward outputs while the block runs.

    A forward hook on the head (no patched methods): each call appends,
    per image of the batch, the list of output kinds, each a list of that
    image's per-level maps (detached copies).

    Args:
        model (nn.Module): A detector with a dense ``bbox_head``.

    Yields:
        list: The per-image output lists, in call order.
    """
    captured: List[List[list]] = []

    def hook(module: nn.Module, args: tuple, outs: tuple) -> None:
        kinds = [kind for kind in outs if kind is not None]
        for i in range(kinds[0][0].size(0)):
            captured.append([[t[i].detach().clone() for t in kind]
                             for kind in kinds])

    handle = model.bbox_head.register_forward_hook(hook)
    try:
        yield captured
    finally:
        handle.remove()


def _tensor(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def record_test_pass(model: nn.Module,
                     loader: Any,
                     log_every: int = 10) -> Dict[str, Any]:
    """One pass of the test loop that keeps the head's raw outputs.

    Runs ``model.test_step`` on every batch of ``loader`` (as MMEngine's
    test loop does) under :func:`capture_head_outputs`, and keeps per image
    the meta, raw outputs, ground truth and predictions.

    Args:
        model (nn.Module): The detector, in eval mode.
        loader: Its test data loader (ground truth in original image
            coordinates, as MMDetection's test pipelines load it).
        log_every (int): Log progress every this many batches.

    Returns:
        dict: ``classes``, ``img_ids``, ``metas``, ``outs``, ``anns`` and
        ``preds`` (the module's stored form).
    """
    from mmengine.logging import print_log
    metas, anns, preds = [], [], []
    num = len(loader)
    with capture_head_outputs(model) as outs, torch.no_grad():
        for idx, batch in enumerate(loader):
            for sample in model.test_step(batch):
                gt, pred = sample.gt_instances, sample.pred_instances
                # datasets without difficult objects have no ignored ones
                ign = (sample.ignored_instances if 'ignored_instances'
                       in sample else gt[gt.labels < 0])
                metas.append(plain(sample.metainfo))
                anns.append(
                    dict(
                        labels=gt.labels.cpu().numpy(),
                        bboxes=gt.bboxes.cpu().numpy(),
                        bboxes_ignore=ign.bboxes.cpu().numpy(),
                        labels_ignore=ign.labels.cpu().numpy()))
                preds.append(
                    dict(
                        bboxes=pred.bboxes.cpu().numpy(),
                        scores=pred.scores.cpu().numpy(),
                        labels=pred.labels.cpu().numpy()))
            if (idx + 1) % log_every == 0 or idx + 1 == num:
                print_log(f'test pass: batch {idx + 1}/{num}', 'current')
    if not len(metas) == len(outs) == len(loader.dataset):
        raise RuntimeError(f'{len(outs)} head outputs for {len(metas)} '
                           f'images of {len(loader.dataset)}')
    return dict(
        classes=list(loader.dataset.metainfo['classes']),
        img_ids=[m.get('img_id') for m in metas],
        metas=metas,
        outs=list(outs),
        anns=[{k: _tensor(v) for k, v in a.items()} for a in anns],
        preds=[{k: _tensor(v) for k, v in p.items()} for p in preds])


def voc_matches(results: List[InstanceData], raw: Dict[str, Any]) -> Any:
    """VOC matches (:func:`~mmdet_led.evaluation.functional.match_voc`) of
    per-image detections, e.g. from :func:`rescore`, with the stored
    ground truth ``raw['anns']``."""
    from .functional import dets_per_class, match_voc
    num_classes = len(raw['classes'])
    dets = [
        dets_per_class(r.bboxes.numpy(), r.scores.numpy(), r.labels.numpy(),
                       num_classes) for r in results
    ]
    anns = [{k: v.numpy() for k, v in a.items()} for a in raw['anns']]
    return match_voc(dets, anns)


def record_config_test_pass(model: nn.Module,
                            cfg: Any,
                            ann_file: Optional[str] = None,
                            num: Optional[int] = None) -> Dict[str, Any]:
    """:func:`record_test_pass` over the config's test set, one image a
    batch, in this process.

    Args:
        model (nn.Module): The detector, in eval mode.
        cfg (Config): Its config (``test_dataloader``).
        ann_file (str, optional): Another image-set file of the same
            dataset (relative to its ``data_root``).
        num (int, optional): Only the first ``num`` images.
    """
    from mmengine.runner import Runner
    loader_cfg = copy.deepcopy(cfg.test_dataloader)
    loader_cfg.update(batch_size=1, num_workers=0, persistent_workers=False)
    if ann_file:
        loader_cfg.dataset.ann_file = ann_file
    if num:
        loader_cfg.dataset.indices = num
    return record_test_pass(model, Runner.build_dataloader(loader_cfg))


def rescore(head: nn.Module,
            raw: Dict[str, Any],
            test_cfg: Any,
            with_nms: bool = True) -> List[InstanceData]:
    """Detections of every image from stored raw outputs.

    Args:
        head (nn.Module): The head that produced them (its
            ``predict_by_feat`` decodes and scores).
        raw (dict): Stored outputs with ``metas`` and ``outs``.
        test_cfg (ConfigDict): The head's ``test_cfg`` to apply.
        with_nms (bool): False keeps the pre-NMS candidates.

    Returns:
        list[InstanceData]: Per image, in original image coordinates.
    """
    return [
        _rescore_image(head, meta, outs, test_cfg, with_nms)
        for meta, outs in zip(raw['metas'], raw['outs'])
    ]


def _rescore_image(head: nn.Module, meta: dict, outs: list, test_cfg: Any,
                   with_nms: bool) -> InstanceData:
    """One image's detections from its stored outputs."""
    with torch.no_grad():
        return head.predict_by_feat(
            *[[t[None] for t in kind] for kind in outs],
            batch_img_metas=[meta],
            cfg=copy.deepcopy(test_cfg),
            rescale=True,
            with_nms=with_nms)[0]


@contextlib.contextmanager
def decoded_as(le_module: nn.Module, quality: torch.Tensor) -> Iterator[None]:
    """While the block runs, ``le_module.decode`` returns ``quality``
    whatever LE maps it is given (an instance attribute over the class
    method); on exit the module's own ``decode`` is back as it was."""
    before = vars(le_module).get('decode')
    le_module.decode = lambda le_pred: quality
    try:
        yield
    finally:
        if before is None:
            del le_module.decode
        else:
            le_module.decode = before


def rescore_with_true_quality(head: nn.Module,
                              raw: Dict[str, Any],
                              test_cfg: Any,
                              with_nms: bool = True) -> List[InstanceData]:
    """:func:`rescore` with a perfect loc-quality estimate: the LE's
    decoded (IoU, IoD, IoG) of every prior replaced by their true values.

    The true values are LED's training targets (``head.get_le_targets``:
    each prior's decoded box against the ground truth of highest IoU, the
    image's non-difficult objects scaled to the network input), so the
    detections show what LE ranking could reach with the same scoring
    (``score_mode``, ``loc_lambda``, ...) if the LE module estimated its
    targets exactly.

    Args:
        head (nn.Module): An LED head (with ``le_module``), in eval mode
            like the pass that stored the outputs (FCOS decodes its
            regression maps differently while training).
        raw (dict): Stored outputs with ``metas``, ``outs`` and ``anns``.
        test_cfg (ConfigDict): The head's ``test_cfg`` to apply.
        with_nms (bool): False keeps the pre-NMS candidates.

    Returns:
        list[InstanceData]: Per image, in original image coordinates.

    Raises:
        ValueError: If the head is in training mode.
    """
    from mmdet.structures.bbox import scale_boxes
    if head.training:
        raise ValueError('rescore_with_true_quality: the head is in training '
                         'mode; call .eval() (the outputs were stored by an '
                         'eval pass)')
    results = []
    for meta, outs, ann in zip(raw['metas'], raw['outs'], raw['anns']):
        gt = scale_boxes(ann['bboxes'].float().reshape(-1, 4),
                         meta['scale_factor'])
        with torch.no_grad():
            quality = head.get_le_targets([t[None] for t in outs[1]],
                                          [InstanceData(bboxes=gt)],
                                          [meta])[0]
        with decoded_as(head.le_module, quality):
            results.append(
                _rescore_image(head, meta, outs, test_cfg, with_nms))
    return results


def prenms_candidates(head: nn.Module,
                      raw: Dict[str, Any],
                      test_cfg: Any,
                      score_thr: float = 0.01,
                      topk: int = 100,
                      gt_bboxes: Optional[List[torch.Tensor]] = None
                      ) -> List[Dict[str, np.ndarray]]:
    """Per image, the top pre-NMS detections with their loc-quality signals.

    The candidates are the ``topk`` detections by final confidence above
    ``score_thr`` before NMS (for LED the threshold is on the final
    confidence, whatever ``score_thr_on`` says). Their true (IoU, IoD, IoG)
    are class-agnostic, with the ground-truth box of highest IoU (like
    LED's training targets), in original image coordinates.

    Args:
        head (nn.Module): The head of the stored outputs.
        raw (dict): Stored outputs (``metas``, ``outs`` and, unless
            ``gt_bboxes`` is given, ``anns``).
        test_cfg (ConfigDict): The head's ``test_cfg``.
        score_thr (float): Keep candidates above this final confidence.
        topk (int): At most this many candidates per image.
        gt_bboxes (list[Tensor], optional): Per image the (non-ignored)
            ground-truth boxes. Default: ``raw['anns'][i]['bboxes']``.

    Returns:
        list[dict]: Per image, numpy arrays ``bboxes``, ``labels``,
        ``conf_final``, ``conf_cls``, ``true_iou``/``true_iod``/
        ``true_iog`` and, for LED, ``conf_loc``, ``pred_iou``/
        ``pred_iod``/``pred_iog`` and ``iou_derived`` (IoU' from the
        predicted IoD and IoG).
    """
    from mmdet_led.models.task_modules.loc_quality import loc_quality_targets
    from mmdet_led.models.utils.le_scoring import derived_iou
    is_led = hasattr(head, 'le_module')
    cfg = copy.deepcopy(test_cfg)
    cfg.update(score_thr=score_thr)
    if is_led:
        cfg.update(return_loc_quality=True, score_thr_on='conf')
    if gt_bboxes is None:
        gt_bboxes = [ann['bboxes'] for ann in raw['anns']]
    out = []
    for res, gts in zip(rescore(head, raw, cfg, with_nms=False), gt_bboxes):
        order = torch.argsort(res.scores, descending=True)[:topk]
        res = res[order]
        true = loc_quality_targets(res.bboxes, gts.float())
        item = dict(
            bboxes=res.bboxes.numpy(),
            labels=res.labels.numpy(),
            conf_final=res.scores.numpy(),
            true_iou=true[:, 0].numpy(),
            true_iod=true[:, 1].numpy(),
            true_iog=true[:, 2].numpy())
        if is_led:
            q = res.loc_quality
            item.update(
                conf_cls=res.cls_scores.numpy(),
                conf_loc=res.loc_scores.numpy(),
                pred_iou=q[:, 0].numpy(),
                pred_iod=q[:, 1].numpy(),
                pred_iog=q[:, 2].numpy(),
                iou_derived=derived_iou(q[:, 1], q[:, 2]).numpy())
        else:
            item['conf_cls'] = res.scores.numpy()
        out.append(item)
    return out
