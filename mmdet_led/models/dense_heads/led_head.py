import copy
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import torch
from mmdet.models.dense_heads import SSDHead
from mmdet.models.utils import filter_scores_and_topk
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import cat_boxes
from mmdet.utils import ConfigType, InstanceList, OptInstanceList
from mmengine.config import ConfigDict
from mmengine.model import initialize
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..task_modules.le_hard_mining import le_hard_mining
from ..task_modules.loc_quality import (QUALITY_NAMES, c2f_encode,
                                        loc_quality_targets, value_to_bin)
from ..utils.le_scoring import combine_scores, loc_confidence

PHASES = ('det', 'le', 'joint')


@contextmanager
def detached_child(module: nn.Module, name: str) -> Iterator[nn.Module]:
    """Take the child ``name`` out of ``module`` for the ``with`` block and
    put it back at its place, so that module order (and ``state_dict`` key
    order) stays as it was."""
    names = list(module._modules)
    child = module._modules.pop(name)
    try:
        yield child
    finally:
        module._modules[name] = child
        for later in names[names.index(name) + 1:]:
            module._modules[later] = module._modules.pop(later)


@MODELS.register_module()
class LEDHead(SSDHead):
    """Head of LED, the Localization-quality Estimation embedded Detector.

    An :class:`SSDHead` (same anchors, softmax classification, smooth-L1
    regression, SSD matching and 3:1 hard negative mining, every SSDHead
    option) plus an LE module that predicts IoU, IoD and IoG of every
    anchor's detection (see :class:`~mmdet_led.models.layers.LEModule`).

    Training depends on ``phase`` (set by ``LEDPhaseHook``):
    ``'det'``: ``L_cls + alpha * L_reg`` (plain SSD, the LE module is not
    run); ``'le'``: ``L_LE``; ``'joint'``: ``L_cls + alpha * L_reg +
    beta * L_LE``. ``L_LE`` is, for each of IoU/IoD/IoG, a coarse softmax
    loss and a fine loss (or one direct-regression loss), each normalized by
    the number of LE samples chosen by :func:`le_hard_mining`.

    At inference, ``test_cfg.score_mode`` ('gaussian', 'product' or 'cls')
    combines the class confidence with ``conf_loc`` (``loc_lambda``,
    ``loc_sigma``) *before* the pre-NMS top-k and NMS, which rank by it.
    ``test_cfg.score_thr_on`` says what ``score_thr`` is compared with:
    ``'conf'`` (default), the combined confidence; ``'cls'``, the class
    confidence, so that every score mode ranks the same candidates (the
    LE factor lowers the combined confidence and would otherwise cut the
    low-score tail that VOC's recall-averaged AP counts).
    Predicted instances carry ``scores`` (the combined confidence),
    ``cls_scores`` and ``loc_scores`` (conf_loc); with
    ``test_cfg.return_loc_quality=True`` also ``loc_quality``, the predicted
    (IoU, IoD, IoG) of each box, for analysis. With
    ``test_cfg.prenms_candidates=dict(topk=100, score_thr=0.01)`` every data
    sample also receives its pre-NMS candidates as ``pred_candidates``
    (:meth:`predict_candidates`), which ``LocQualityMetric`` evaluates.

    The LE module draws its random numbers (at construction and in
    ``init_weights``) from a forked stream: the global one advances exactly
    as for an :class:`SSDHead`, so an LED and an SSD built after the same
    seed start from the same detector weights and see the same random
    numbers afterwards. LED's 'det' step is then SSD's training exactly.

    Args:
        le_module (dict): Config of the LE module; the per-level channels
            and anchor counts are filled in by the head, and so are
            ``use_depthwise`` and the head's ``conv_cfg``/``norm_cfg``/
            ``act_cfg`` (when set) unless the LE config sets them.
        loss_le_coarse (dict): Loss of the coarse value-range classifier.
        loss_le_fine (dict): Loss of the fine regressors (or of the direct
            regression when C2F is off): ``SharpL2Loss`` or, for the
            ablation, ``SharpL2Loss`` with ``sharp=False`` (plain L2).
        alpha (float): Weight of the box-regression loss. Defaults to 1.
        beta (float): Weight of the LE loss in the joint phase.
            Defaults to 1/3.
        phase (str): Training phase, 'det', 'le' or 'joint'.
        **kwargs: Arguments of :class:`SSDHead`. ``train_cfg`` may hold
            ``le_mining=dict(ratios=(3, 1, 1, 1), min_per_range=16)``.
    """

    def __init__(self,
                 *args,
                 le_module: ConfigType = dict(type='LEModule'),
                 loss_le_coarse: ConfigType = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 loss_le_fine: ConfigType = dict(
                     type='SharpL2Loss', loss_weight=1.0),
                 alpha: float = 1.0,
                 beta: float = 1 / 3,
                 phase: str = 'joint',
                 **kwargs) -> None:
        # SSDHead.__init__ calls _init_layers, which builds the LE module.
        self.le_module_cfg = copy.deepcopy(le_module)
        super().__init__(*args, **kwargs)
        self.loss_le_coarse = MODELS.build(loss_le_coarse)
        self.loss_le_fine = MODELS.build(loss_le_fine)
        self.alpha = alpha
        self.beta = beta
        self.phase = phase

    @property
    def phase(self) -> str:
        """Training phase: 'det', 'le' or 'joint'."""
        return self._phase

    @phase.setter
    def phase(self, value: str) -> None:
        if value not in PHASES:
            raise ValueError(f'phase must be one of {PHASES}, got {value!r}')
        self._phase = value

    def _init_layers(self) -> None:
        """Build SSD's cls/reg convs, then the LE module on top of them."""
        super()._init_layers()
        cfg = copy.deepcopy(self.le_module_cfg)
        cfg.update(
            in_channels=self.in_channels,
            cls_channels=[
                a * self.cls_out_channels for a in self.num_base_priors
            ],
            reg_channels=[a * 4 for a in self.num_base_priors],
            num_base_priors=self.num_base_priors)
        # the LE convs follow the head's conv style unless configured
        cfg.setdefault('use_depthwise', self.use_depthwise)
        for key in ('conv_cfg', 'norm_cfg', 'act_cfg'):
            if getattr(self, key) is not None:
                cfg.setdefault(key, getattr(self, key))
        with torch.random.fork_rng(devices=[]):
            self.le_module = MODELS.build(cfg)

    def init_weights(self) -> None:
        """SSDHead's initialization, then the LE module's in a forked random
        stream: the head's own ``init_cfg`` (as SSDHead applies it to all its
        layers; its ``override`` entries name SSD's layers and are left out),
        then the LE module's ``init_cfg``."""
        with detached_child(self, 'le_module') as le_module:
            super().init_weights()
        init_cfgs = self.init_cfg or []
        init_cfgs = [init_cfgs] if isinstance(init_cfgs, dict) else init_cfgs
        init_cfgs = [{k: v for k, v in c.items() if k != 'override'}
                     for c in init_cfgs if c['type'] != 'Pretrained']
        with torch.random.fork_rng(devices=[]):
            initialize(le_module, init_cfgs)
            le_module.init_weights()

    def forward(
        self, x: Tuple[Tensor]
    ) -> Tuple[List[Tensor], List[Tensor], Optional[List[Tensor]]]:
        """SSD's cls and reg maps plus the LE maps of every level.

        Returns:
            tuple: ``(cls_scores, bbox_preds, le_preds)``; ``le_preds`` is
            None while training in the 'det' phase, where the LE module is
            not used.
        """
        cls_scores, bbox_preds = super().forward(x)
        if self.training and self.phase == 'det':
            return cls_scores, bbox_preds, None
        return cls_scores, bbox_preds, self.le_module(x, cls_scores,
                                                      bbox_preds)

    def loss_by_feat(
            self,
            cls_scores: List[Tensor],
            bbox_preds: List[Tensor],
            le_preds: Optional[List[Tensor]],
            batch_gt_instances: InstanceList,
            batch_img_metas: List[dict],
            batch_gt_instances_ignore: OptInstanceList = None
    ) -> Dict[str, Tensor]:
        """SSD losses and/or the LE loss, depending on ``phase``."""
        losses = {}
        if self.phase in ('det', 'joint'):
            losses = super().loss_by_feat(cls_scores, bbox_preds,
                                          batch_gt_instances, batch_img_metas,
                                          batch_gt_instances_ignore)
            losses['loss_bbox'] = [l * self.alpha for l in losses['loss_bbox']]
        if self.phase in ('le', 'joint'):
            weight = self.beta if self.phase == 'joint' else 1.0
            le_losses = self.loss_le_by_feat(bbox_preds, le_preds,
                                             batch_gt_instances,
                                             batch_img_metas)
            losses.update({k: v * weight for k, v in le_losses.items()})
        return losses

    def get_le_targets(self, bbox_preds: List[Tensor],
                       batch_gt_instances: InstanceList,
                       batch_img_metas: List[dict]) -> Tensor:
        """IoU/IoD/IoG targets of every anchor of every image, (N, A, 3).

        Each anchor's predicted box is decoded (detached, clipped to the
        image like at inference) and compared with its best-IoU ground truth.
        """
        num_imgs = len(batch_img_metas)
        featmap_sizes = [b.shape[-2:] for b in bbox_preds]
        anchors = cat_boxes(
            self.prior_generator.grid_priors(
                featmap_sizes, device=bbox_preds[0].device))
        deltas = torch.cat([
            b.detach().permute(0, 2, 3, 1).reshape(num_imgs, -1, 4)
            for b in bbox_preds
        ], 1)
        targets = []
        for deltas_i, gt, meta in zip(deltas, batch_gt_instances,
                                      batch_img_metas):
            boxes = self.bbox_coder.decode(
                anchors, deltas_i, max_shape=meta['img_shape'])
            targets.append(loc_quality_targets(boxes, gt.bboxes))
        return torch.stack(targets)

    def loss_le_by_feat(self, bbox_preds: List[Tensor],
                        le_preds: List[Tensor],
                        batch_gt_instances: InstanceList,
                        batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The six LE loss terms (three with direct regression).

        Hard examples are mined per image (:func:`le_hard_mining`, ranked
        by the sum of the per-sample terms); every term is then averaged
        over all samples chosen in the batch.
        """
        targets = self.get_le_targets(bbox_preds, batch_gt_instances,
                                      batch_img_metas)  # (N, A, 3)
        preds = torch.cat([self.le_module.flatten(p) for p in le_preds], 1)
        per_sample = self._le_loss_terms(preds, targets, reduction='none')
        with torch.no_grad():
            ranking = sum(per_sample.values())  # (N, A)
        mining_cfg = (self.train_cfg or {}).get('le_mining', {})
        iou_bins = value_to_bin(targets[..., 0])
        mask = torch.stack([
            le_hard_mining(r, b, **mining_cfg)
            for r, b in zip(ranking, iou_bins)
        ])
        num = max(int(mask.sum()), 1)
        return {k: v[mask].sum() / num for k, v in per_sample.items()}

    def _le_loss_terms(self, preds: Tensor, targets: Tensor,
                       reduction: str) -> Dict[str, Tensor]:
        """Per-sample LE loss terms for flattened predictions (..., 3, K)."""
        terms = {}
        for q, name in enumerate(QUALITY_NAMES):
            pred, target = preds[..., q, :], targets[..., q]
            if not self.le_module.coarse_to_fine:
                terms[f'loss_le_{name}'] = self.loss_le_fine(
                    pred[..., 0], target, reduction_override=reduction)
                continue
            nb = self.le_module.num_bins
            bins, fine_target = c2f_encode(target)
            coarse = pred[..., :nb].reshape(-1, nb)
            terms[f'loss_le_{name}_coarse'] = self.loss_le_coarse(
                coarse, bins.reshape(-1),
                reduction_override=reduction).view_as(target)
            fine = pred[..., nb:].gather(-1, bins[..., None]).squeeze(-1)
            terms[f'loss_le_{name}_fine'] = self.loss_le_fine(
                fine, fine_target, reduction_override=reduction)
        return terms

    def predict(self,
                x: Tuple[Tensor],
                batch_data_samples: SampleList,
                rescale: bool = False) -> InstanceList:
        """Detections as ``BaseDenseHead.predict`` gives them; with
        ``test_cfg.prenms_candidates`` (a dict of :meth:`predict_candidates`
        arguments) each data sample also gets ``pred_candidates``, from the
        same forward pass."""
        candidates_cfg = (self.test_cfg or {}).get('prenms_candidates')
        if not candidates_cfg:
            return super().predict(x, batch_data_samples, rescale=rescale)
        outs = self(x)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        candidates = self.predict_candidates(outs, batch_img_metas,
                                             **candidates_cfg)
        for sample, cands in zip(batch_data_samples, candidates):
            sample.pred_candidates = cands
        return self.predict_by_feat(
            *outs, batch_img_metas=batch_img_metas, rescale=rescale)

    def predict_candidates(self,
                           outs: tuple,
                           batch_img_metas: List[dict],
                           topk: int = 100,
                           score_thr: float = 0.01) -> InstanceList:
        """Pre-NMS candidates of every image, for loc-quality analysis.

        The head's own post-processing without NMS
        (``predict_by_feat(..., with_nms=False)``) with ``score_thr`` on the
        final confidence (``score_thr_on='conf'``) and
        ``return_loc_quality=True``, the rest of ``test_cfg`` (score mode,
        ``nms_pre`` per level) as configured; then the ``topk`` of highest
        final confidence, in descending order.

        Args:
            outs (tuple): The head's forward outputs for the batch.
            batch_img_metas (list[dict]): Meta information of each image.
            topk (int): Candidates kept per image. Defaults to 100.
            score_thr (float): Least final confidence. Defaults to 0.01.

        Returns:
            list[InstanceData]: Per image ``bboxes`` (original image
            coordinates), ``scores`` (final confidence), ``labels``,
            ``cls_scores``, ``loc_scores`` (conf_loc) and ``loc_quality``
            (predicted IoU, IoD, IoG).
        """
        cfg = copy.deepcopy(self.test_cfg)
        cfg.update(
            score_thr=score_thr, score_thr_on='conf', return_loc_quality=True)
        results = self.predict_by_feat(
            *outs,
            batch_img_metas=batch_img_metas,
            cfg=cfg,
            rescale=True,
            with_nms=False)
        return [
            r[torch.argsort(r.scores, descending=True)[:topk]]
            for r in results
        ]

    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Optional[Tensor]],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: Optional[ConfigDict] = None,
                                rescale: bool = False,
                                with_nms: bool = True) -> InstanceData:
        """Detections of one image, ranked by the LE-combined confidence.

        Unlike ``BaseDenseHead``, which multiplies score factors in only
        after thresholding and top-k, the combined confidence is what
        ``nms_pre`` and NMS rank by (paper section 2.5), and the score
        threshold too unless ``score_thr_on='cls'``.
        ``score_factor_list`` holds the LE maps (None without LE).
        """
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        mode = cfg.get('score_mode', 'gaussian')
        lam = cfg.get('loc_lambda', 0.6)
        sigma = cfg.get('loc_sigma', 1.0)
        thr_on = cfg.get('score_thr_on', 'conf')
        if thr_on not in ('conf', 'cls'):
            raise ValueError(f"score_thr_on must be 'conf' or 'cls', "
                             f'got {thr_on!r}')
        # every level at once: the per-anchor maths (softmax, LE decoding,
        # scoring) runs once per image instead of once per level, which
        # halves the ops (kernel launches on a GPU) of LED's post-processing
        cls_prob = torch.cat([
            c.permute(1, 2, 0).reshape(-1, self.cls_out_channels)
            for c in cls_score_list
        ]).softmax(-1)[:, :-1]
        if score_factor_list[0] is None:
            quality = cls_prob.new_ones(cls_prob.size(0), 3)
            conf_loc = quality[:, 0]
            conf = cls_prob
        else:
            quality = self.le_module.decode(
                torch.cat([self.le_module.flatten(p)
                           for p in score_factor_list]))
            conf_loc = loc_confidence(*quality.unbind(-1), lam=lam)
            conf = combine_scores(cls_prob, conf_loc[:, None], mode, sigma)
        score_thr = cfg.get('score_thr', 0)
        if thr_on == 'cls':
            # below-threshold class scores drop out of the ranking
            conf = conf.masked_fill(cls_prob <= score_thr, -1)
            score_thr = -1
        # nms_pre per level, as in BaseDenseHead
        scores, labels, keep = [], [], []
        start = 0
        for priors in mlvl_priors:
            end = start + priors.size(0)
            level_scores, level_labels, level_keep, _ = \
                filter_scores_and_topk(conf[start:end], score_thr,
                                       cfg.get('nms_pre', -1))
            scores.append(level_scores)
            labels.append(level_labels)
            keep.append(level_keep + start)
            start = end
        keep, labels = torch.cat(keep), torch.cat(labels)
        bbox_pred = torch.cat(
            [b.permute(1, 2, 0).reshape(-1, 4) for b in bbox_pred_list])

        results = InstanceData()
        results.bboxes = self.bbox_coder.decode(
            cat_boxes(mlvl_priors)[keep],
            bbox_pred[keep],
            max_shape=img_meta['img_shape'])
        results.scores = torch.cat(scores)
        results.labels = labels
        results.cls_scores = cls_prob[keep, labels]
        results.loc_scores = conf_loc[keep]
        if cfg.get('return_loc_quality', False):
            results.loc_quality = quality[keep]
        return self._bbox_post_process(
            results=results,
            cfg=cfg,
            rescale=rescale,
            with_nms=with_nms,
            img_meta=img_meta)
