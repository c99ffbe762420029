"""Loc-quality estimation (LE) for any MMDetection dense head, as a mixin."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmdet.models.utils import filter_scores_and_topk, unpack_gt_instances
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import SampleList
from mmdet.structures.bbox import cat_boxes
from mmdet.utils import ConfigType, InstanceList
from mmengine.config import ConfigDict
from mmengine.model import initialize
from mmengine.structures import InstanceData
from torch import Tensor

from ..task_modules.loc_quality import (QUALITY_NAMES, c2f_encode,
                                        loc_quality_targets)
from ..task_modules.samplers import le_sampler_cfg
from ..utils.box_sampling import NUM_BOX_POINTS, decoded_box_point_features
from ..utils.le_scoring import combine_scores, keep_above, loc_confidence
from ..utils.module_hooks import detached_child, recorded_inputs

PHASES = ('det', 'le', 'joint')
#: What the LE ranking does with the host's own score factor (centerness).
CENTERNESS_MODES = ('combine', 'replace')


class LEHeadMixin:
    """Everything LED's loc-quality estimation needs from a dense head.

    Mixed in before an MMDetection dense head (``class LEDRetinaHead(
    LEHeadMixin, RetinaHead)``), it adds an :class:`LEModule` that predicts
    the IoU, IoD and IoG of every prior's detection, its training and its
    ranking, and leaves every option, layer and loss of the host as it is.

    **Building.** The LE module is built right after the host's layers,
    from the host's channels and priors per location: per level when the
    host has per-level layers (SSD) or with ``le_per_level``, shared across
    levels when it has shared conv towers (RetinaNet, FCOS, ATSS). Its
    random draws (construction and ``init_weights``) come from a forked
    random stream, so an LED head and its plain host built after the same
    seed hold the same host weights and leave the global stream in the same
    state.

    **RF inputs.** ``le_feature_layers`` names the host's final
    classification and regression convs; the LE module's richer-feature
    branches read their inputs, i.e. the last features of the host's conv
    towers (captured with forward pre-hooks, so no host forward is
    re-implemented). With shared towers these features, not the final
    maps, feed LE: the final maps are a linear 3x3 projection of them, so
    they carry no more information, their width grows with classes x
    priors (720 channels in COCO RetinaNet) and FCOS's regression map
    changes scale between training and inference. Without
    ``le_feature_layers`` (SSD, where every level has its own convs), or
    with ``le_on_outputs=True``, the host's cls/reg output maps feed LE, as
    in the LED paper.

    **Training** depends on ``phase`` (set by ``LEDPhaseHook``):
    ``'det'``: the host's own losses, ``loss_bbox`` times ``alpha`` (the LE
    module is not run); ``'le'``: ``L_LE``; ``'joint'``: both, ``L_LE``
    times ``beta``. ``L_LE`` is, for each of IoU/IoD/IoG, a coarse softmax
    loss and a fine loss (or one direct-regression loss), averaged over the
    priors chosen by ``train_cfg.le_sampler`` (default
    ``dict(type='LocQualitySampler')``). The IoU/IoD/IoG targets compare
    each prior's decoded box (detached, decoded as at inference) with its
    best-IoU ground truth.

    **Ranking.** ``test_cfg.score_mode`` ('gaussian', 'product', 'power'
    or 'cls') combines the class confidence with ``conf_loc`` (``loc_lambda``,
    ``loc_sigma``, ``loc_power``) *before* the pre-NMS top-k (``nms_pre``)
    and NMS, which rank by it; mmdet's ``score_factors`` path instead picks
    the candidates by class score and multiplies its quality in afterwards.
    ``test_cfg.score_thr_on`` says what ``score_thr`` is compared with:
    ``'conf'`` (default), the combined confidence; ``'cls'``, the class
    confidence, so that every score mode ranks the same candidates. A host
    with its own score factor (FCOS/ATSS centerness) keeps it as mmdet
    does, multiplied into the scores after the top-k, with
    ``test_cfg.centerness='combine'`` (default), or drops it with
    ``'replace'``. Predicted instances carry ``scores`` (final),
    ``cls_scores`` and ``loc_scores`` (conf_loc); with
    ``test_cfg.return_loc_quality=True`` also ``loc_quality`` (predicted
    IoU, IoD, IoG). With ``test_cfg.prenms_candidates=dict(topk=100,
    score_thr=0.01)`` every data sample also receives its pre-NMS
    candidates as ``pred_candidates`` (:meth:`predict_candidates`).

    Args:
        le_module (dict): Config of the LE module; its channels and priors
            are filled in from the host, and so are ``use_depthwise`` and
            the host's ``conv_cfg``/``norm_cfg``/``act_cfg`` (when set)
            unless the LE config sets them.
        loss_le_coarse (dict): Loss of the coarse value-range classifier.
        loss_le_fine (dict): Loss of the fine regressors (or of the direct
            regression when C2F is off), ``SharpL2Loss``.
        loss_le_rank (dict, optional): A ranking loss of conf_loc among
            each object's priors (``LERankingLoss``, ``loss_le_rank`` in
            the losses); None: none. Defaults to None.
        alpha (float): Weight of the host's ``loss_bbox``. Defaults to 1.
        beta (float): Weight of the LE loss in the joint phase.
            Defaults to 1/3.
        phase (str): Training phase, 'det', 'le' or 'joint'.
        le_on_outputs (bool): Feed the RF branches the host's cls/reg
            output maps (class logits, box deltas), as the LED paper does,
            even where ``le_feature_layers`` names tower layers. Defaults to
            False.
        le_per_level (bool): One set of LE convs per level even where the
            host shares its towers across levels. Defaults to False.
        le_box_features (bool): The RF regression branch reads its input
            sampled at the corners, edge midpoints and centre of each
            location's predicted box (detached) instead of at the location
            (:func:`~mmdet_led.models.utils.box_sampling.box_point_features`),
            so that LE sees where the box landed. One prior per location
            only. Defaults to False.
        **kwargs: Arguments of the host head.
    """

    #: Names of the host's final cls and reg layers whose inputs feed the
    #: LE module's RF branches; None: the host's output maps feed them.
    le_feature_layers: Optional[Tuple[str, str]] = None
    #: Whether the host's forward returns a score factor (centerness) map
    #: between its regression maps and the LE maps.
    with_host_score_factor: bool = False

    def __init__(self,
                 *args,
                 le_module: ConfigType = dict(type='LEModule'),
                 loss_le_coarse: ConfigType = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 loss_le_fine: ConfigType = dict(
                     type='SharpL2Loss', loss_weight=1.0),
                 loss_le_rank: Optional[ConfigType] = None,
                 alpha: float = 1.0,
                 beta: float = 1 / 3,
                 phase: str = 'joint',
                 le_on_outputs: bool = False,
                 le_per_level: bool = False,
                 le_box_features: bool = False,
                 **kwargs) -> None:
        # the host's __init__ calls _init_layers, which builds the LE module
        self.le_module_cfg = copy.deepcopy(le_module)
        if le_on_outputs:
            self.le_feature_layers = None
        self.le_per_level = le_per_level
        self.le_box_features = le_box_features
        super().__init__(*args, **kwargs)
        if le_box_features and self.num_base_priors != 1:
            raise ValueError('le_box_features needs one prior per location, '
                             f'the head has {self.num_base_priors}')
        self.loss_le_coarse = MODELS.build(loss_le_coarse)
        self.loss_le_fine = MODELS.build(loss_le_fine)
        self.loss_le_rank = (MODELS.build(loss_le_rank)
                             if loss_le_rank else None)
        self.alpha = alpha
        self.beta = beta
        self.phase = phase
        self.le_sampler = TASK_UTILS.build(le_sampler_cfg(self.train_cfg))

    @property
    def phase(self) -> str:
        """Training phase: 'det', 'le' or 'joint'."""
        return self._phase

    @phase.setter
    def phase(self, value: str) -> None:
        if value not in PHASES:
            raise ValueError(f'phase must be one of {PHASES}, got {value!r}')
        self._phase = value

    def _le_module_inputs(self) -> dict:
        """Channels and priors per location the LE module is built for:
        lists (one set of LE convs per level) on a head with per-level
        layers (SSD) or with ``le_per_level``, ints (shared) otherwise."""
        priors = self.num_base_priors
        if self.le_per_level and isinstance(priors, int):
            priors = [priors] * self.prior_generator.num_levels
        per_level = not isinstance(priors, int)
        levels = priors if per_level else [priors]
        if self.le_feature_layers is None:  # output maps
            cls = [a * self.cls_out_channels for a in levels]
            reg = [a * 4 for a in levels]
        else:  # tower features, as wide whatever the priors
            cls, reg = ([getattr(self, name).in_channels] * len(levels)
                        for name in self.le_feature_layers)
        if self.le_box_features:
            reg = [NUM_BOX_POINTS * r for r in reg]
        in_channels = self.in_channels
        if isinstance(in_channels, int):
            in_channels = [in_channels] * len(levels)
        inputs = dict(in_channels=in_channels, cls_channels=cls,
                      reg_channels=reg, num_base_priors=levels)
        return inputs if per_level else {k: v[0] for k, v in inputs.items()}

    def _init_layers(self) -> None:
        """The host's layers, then the LE module."""
        super()._init_layers()
        cfg = copy.deepcopy(self.le_module_cfg)
        cfg.update(self._le_module_inputs())
        # the LE convs follow the head's conv style unless configured
        cfg.setdefault('use_depthwise', getattr(self, 'use_depthwise', False))
        for key in ('conv_cfg', 'norm_cfg', 'act_cfg'):
            if getattr(self, key, None) is not None:
                cfg.setdefault(key, getattr(self, key))
        with torch.random.fork_rng(devices=[]):
            self.le_module = MODELS.build(cfg)

    def init_weights(self) -> None:
        """The host's initialization, then the LE module's in a forked
        random stream: the head's own ``init_cfg`` (without its
        ``override`` entries, which name the host's layers), then the LE
        module's ``init_cfg``."""
        with detached_child(self, 'le_module') as le_module:
            super().init_weights()
        init_cfgs = self.init_cfg or []
        init_cfgs = [init_cfgs] if isinstance(init_cfgs, dict) else init_cfgs
        init_cfgs = [{k: v for k, v in c.items() if k != 'override'}
                     for c in init_cfgs if c['type'] != 'Pretrained']
        with torch.random.fork_rng(devices=[]):
            initialize(le_module, init_cfgs)
            le_module.init_weights()

    def forward(self, x: Tuple[Tensor]) -> tuple:
        """The host's outputs plus the LE maps of every level.

        Returns:
            tuple: The host's outputs (e.g. ``cls_scores, bbox_preds``, and
            ``centernesses`` for FCOS), then ``le_preds``, None while
            training in the 'det' phase, where the LE module is not run.
        """
        if self.training and self.phase == 'det':
            return tuple(super().forward(x)) + (None, )
        if self.le_feature_layers is None:
            outs = super().forward(x)
            cls_feats = outs[0]
            reg_feats = self.le_training_scale_bbox_preds(outs[1])
        else:
            layers = [getattr(self, name) for name in self.le_feature_layers]
            with recorded_inputs(layers) as (cls_feats, reg_feats):
                outs = super().forward(x)
        if self.le_box_features:
            reg_feats = self.le_box_point_features(reg_feats, outs[1])
        return tuple(outs) + (self.le_module(x, cls_feats, reg_feats), )

    def le_box_point_features(self, feats: Sequence[Tensor],
                              bbox_preds: Sequence[Tensor]) -> List[Tensor]:
        """Each level's ``feats`` sampled at the box points of its
        locations' predicted boxes, decoded as inference decodes them (not
        clipped to the image), detached."""
        return decoded_box_point_features(
            feats,
            self.le_decodable_bbox_preds([b.detach() for b in bbox_preds]),
            self.prior_generator, self.bbox_coder)

    def loss(self, x: Tuple[Tensor],
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """The host's losses and/or the LE loss, depending on ``phase``.

        The host's ``loss_by_feat`` gets the host's outputs only, so the
        'det' phase trains exactly like the host.
        """
        *outs, le_preds = self(x)
        batch_gt_instances, batch_gt_instances_ignore, batch_img_metas = \
            unpack_gt_instances(batch_data_samples)
        losses = {}
        if self.phase in ('det', 'joint'):
            losses = self.loss_by_feat(*outs, batch_gt_instances,
                                       batch_img_metas,
                                       batch_gt_instances_ignore)
            loss_bbox = losses['loss_bbox']
            losses['loss_bbox'] = ([v * self.alpha for v in loss_bbox]
                                   if isinstance(loss_bbox, list) else
                                   loss_bbox * self.alpha)
        if self.phase in ('le', 'joint'):
            weight = self.beta if self.phase == 'joint' else 1.0
            le_losses = self.loss_le_by_feat(outs[1], le_preds,
                                             batch_gt_instances,
                                             batch_img_metas)
            losses.update({k: v * weight for k, v in le_losses.items()})
        return losses

    def le_decodable_bbox_preds(self,
                                bbox_preds: List[Tensor]) -> List[Tensor]:
        """The regression maps as inference decodes them (the host's
        training-time maps, detached). Hosts whose forward rescales them
        outside training (FCOS) override this."""
        return bbox_preds

    def le_training_scale_bbox_preds(
            self, bbox_preds: Sequence[Tensor]) -> Sequence[Tensor]:
        """The regression maps at the scale training gives them, which the
        LE reads when fed the output maps. Hosts whose forward rescales them
        outside training (FCOS) override this."""
        return bbox_preds

    def get_le_targets(self,
                       bbox_preds: List[Tensor],
                       batch_gt_instances: InstanceList,
                       batch_img_metas: List[dict],
                       return_index: bool = False
                       ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """IoU/IoD/IoG targets of every prior of every image, (N, P, 3),
        and with ``return_index`` the (N, P) index of each prior's ground
        truth (-1 without any).

        Each prior's predicted box is decoded (detached, clipped to the
        image like at inference) and compared with its best-IoU ground truth.
        """
        num_imgs = len(batch_img_metas)
        bbox_preds = self.le_decodable_bbox_preds(
            [b.detach() for b in bbox_preds])
        featmap_sizes = [b.shape[-2:] for b in bbox_preds]
        priors = cat_boxes(
            self.prior_generator.grid_priors(
                featmap_sizes, device=bbox_preds[0].device))
        dim = self.bbox_coder.encode_size
        deltas = torch.cat([
            b.permute(0, 2, 3, 1).reshape(num_imgs, -1, dim)
            for b in bbox_preds
        ], 1)
        targets, index = [], []
        for deltas_i, gt, meta in zip(deltas, batch_gt_instances,
                                      batch_img_metas):
            boxes = self.bbox_coder.decode(
                priors, deltas_i, max_shape=meta['img_shape'])
            t, i = loc_quality_targets(boxes, gt.bboxes, return_index=True)
            targets.append(t)
            index.append(i)
        targets = torch.stack(targets)
        return (targets, torch.stack(index)) if return_index else targets

    def loss_le_by_feat(self, bbox_preds: List[Tensor],
                        le_preds: List[Tensor],
                        batch_gt_instances: InstanceList,
                        batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """The six LE loss terms (three with direct regression), and
        ``loss_le_rank`` with a ranking loss.

        ``le_sampler`` chooses the priors of each image (ranked by the sum
        of the per-prior terms); every term is then averaged over all
        priors chosen in the batch. The ranking loss compares the priors of
        each object instead (conf_loc with ``test_cfg.loc_lambda``).
        """
        targets, objects = self.get_le_targets(
            bbox_preds, batch_gt_instances, batch_img_metas,
            return_index=True)  # (N, P, 3), (N, P)
        preds = torch.cat([self.le_module.flatten(p) for p in le_preds], 1)
        per_sample = self._le_loss_terms(preds, targets, reduction='none')
        with torch.no_grad():
            ranking = sum(per_sample.values())  # (N, P)
        mask = torch.stack([
            self.le_sampler.sample(r, iou)
            for r, iou in zip(ranking, targets[..., 0])
        ])
        num = max(int(mask.sum()), 1)
        losses = {k: v[mask].sum() / num for k, v in per_sample.items()}
        if self.loss_le_rank is not None:
            lam = (self.test_cfg or {}).get('loc_lambda', 0.6)
            conf_loc = loc_confidence(
                *self.le_module.decode(preds).unbind(-1), lam=lam)
            losses['loss_le_rank'] = self.loss_le_rank(
                conf_loc, targets[..., 0], objects)
        return losses

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

    def predict_by_feat(self, cls_scores: List[Tensor],
                        bbox_preds: List[Tensor],
                        *score_maps: Optional[List[Tensor]],
                        **kwargs) -> InstanceList:
        """``BaseDenseHead.predict_by_feat`` of the forward outputs.

        Args:
            cls_scores (list[Tensor]): Classification maps of every level.
            bbox_preds (list[Tensor]): Regression maps of every level.
            *score_maps (list[Tensor], optional): The host's score factor
                maps when it has them (FCOS/ATSS centerness), then the LE
                maps (None: rank by class confidence).
            **kwargs: ``batch_img_metas``, ``cfg``, ``rescale``,
                ``with_nms`` of ``BaseDenseHead.predict_by_feat``.

        Returns:
            list[InstanceData]: Detections of every image (see the class
            docstring for their fields).
        """
        factors = score_maps[0] if score_maps else None
        if self.with_host_score_factor and score_maps:
            # the host factor and the LE maps share the base's single
            # score_factors slot, stacked along channels (host first)
            le_preds = score_maps[1] if len(score_maps) > 1 else None
            factors = factors if le_preds is None else [
                torch.cat([f, p], 1) for f, p in zip(factors, le_preds)
            ]
        return super().predict_by_feat(cls_scores, bbox_preds, factors,
                                       **kwargs)

    def _split_score_factors(
        self, score_factor_list: List[Optional[Tensor]]
    ) -> Tuple[Optional[List[Tensor]], Optional[Tensor]]:
        """One image's LE maps and its host score factor (after sigmoid,
        flattened over all levels) from the score factor slot."""
        if score_factor_list[0] is None:
            return None, None
        if not self.with_host_score_factor:
            return score_factor_list, None
        num = self.num_base_priors
        host = torch.cat([
            f[:num].permute(1, 2, 0).reshape(-1) for f in score_factor_list
        ]).sigmoid()
        le_maps = [f[num:] for f in score_factor_list]
        return (le_maps if le_maps[0].size(0) else None), host

    def _cls_probs(self, cls_logits: Tensor) -> Tensor:
        """Class confidences (no background column) of flat logits, with
        the host's activation."""
        if getattr(self.loss_cls, 'custom_cls_channels', False):
            return self.loss_cls.get_activation(cls_logits)
        if self.use_sigmoid_cls:
            return cls_logits.sigmoid()
        return cls_logits.softmax(-1)[:, :-1]

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
        threshold too unless ``score_thr_on='cls'``. ``score_factor_list``
        holds the LE maps, after the host's score factor if it has one
        (None without LE).
        """
        cfg = copy.deepcopy(self.test_cfg if cfg is None else cfg)
        mode = cfg.get('score_mode', 'gaussian')
        thr_on = cfg.get('score_thr_on', 'conf')
        if thr_on not in ('conf', 'cls'):
            raise ValueError(f"score_thr_on must be 'conf' or 'cls', "
                             f'got {thr_on!r}')
        centerness = cfg.get('centerness', 'combine')
        if centerness not in CENTERNESS_MODES:
            raise ValueError(f'centerness must be one of {CENTERNESS_MODES}, '
                             f'got {centerness!r}')
        # every level at once: the per-prior maths (activation, LE decoding,
        # scoring) runs once per image instead of once per level
        cls_prob = self._cls_probs(
            torch.cat([
                c.permute(1, 2, 0).reshape(-1, self.cls_out_channels)
                for c in cls_score_list
            ]))
        le_maps, host_factor = self._split_score_factors(score_factor_list)
        if le_maps is None:
            quality = cls_prob.new_ones(cls_prob.size(0), 3)
            conf_loc = quality[:, 0]
            conf = cls_prob
        else:
            quality = self.le_module.decode(
                torch.cat([self.le_module.flatten(p) for p in le_maps]))
            conf_loc = loc_confidence(
                *quality.unbind(-1), lam=cfg.get('loc_lambda', 0.6))
            conf = combine_scores(cls_prob, conf_loc[:, None], mode,
                                  cfg.get('loc_sigma', 1.0),
                                  cfg.get('loc_power', 0.5))
        score_thr = cfg.get('score_thr', 0)
        if thr_on == 'cls':
            # below-threshold class scores drop out of the ranking
            conf = keep_above(conf, cls_prob, score_thr)
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
        dim = self.bbox_coder.encode_size
        bbox_pred = torch.cat(
            [b.permute(1, 2, 0).reshape(-1, dim) for b in bbox_pred_list])

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
        if host_factor is not None and centerness == 'combine':
            # multiplied in by _bbox_post_process, as BaseDenseHead does
            results.score_factors = host_factor[keep]
        return self._bbox_post_process(
            results=results,
            cfg=cfg,
            rescale=rescale,
            with_nms=with_nms,
            img_meta=img_meta)
