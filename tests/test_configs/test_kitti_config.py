"""The KITTI SSD config builds; its anchors fit the 1920x576 input."""
import importlib
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / 'configs' / 'led' / 'kitti' / 'ssd_vgg16_1920x576_180k_kitti-car.py'
KITTI_MINI = REPO / '..' / 'shared' / 'data' / 'kitti_mini'


@pytest.fixture(scope='module')
def cfg() -> Config:
    cfg = Config.fromfile(str(CONFIG))
    for module in cfg.custom_imports['imports']:
        importlib.import_module(module)
    init_default_scope(cfg.default_scope)
    return cfg


@pytest.fixture(scope='module')
def model(cfg):
    from mmdet.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.backbone.init_cfg = None  # no download
    return MODELS.build(model_cfg)


def test_config_settings(cfg):
    assert cfg.custom_imports['imports'][0] == 'mmdet_led'
    assert not cfg.custom_imports['allow_failed_imports']
    assert cfg.model.bbox_head.num_classes == 1
    assert cfg.train_dataloader.dataset.type == 'KittiDataset'
    assert cfg.train_dataloader.dataset.metainfo.classes == ('Car', )
    assert cfg.val_evaluator.type == 'KittiMetric'
    assert 'kitti_annos' in cfg.test_pipeline[-1].meta_keys
    assert cfg.train_cfg == dict(
        type='IterBasedTrainLoop', max_iters=180000, val_interval=5000)
    assert cfg.param_scheduler == [
        dict(
            type='PiecewiseConstantLR',
            by_epoch=False,
            milestones=[30000, 60000, 90000, 120000, 150000],
            values=[1e-5, 1e-6, 1e-5, 1e-6, 1e-5, 1e-6])
    ]
    assert cfg.optim_wrapper.optimizer.lr == 1e-5
    resize = [t for t in cfg.train_pipeline if t.type == 'Resize'][0]
    assert resize.scale == (1920, 576) and not resize.keep_ratio


def test_anchors_are_car_shaped(model):
    gen = model.bbox_head.prior_generator
    assert type(gen).__name__ == 'KittiSSDAnchorGenerator'
    assert gen.num_base_priors == [6] * 6
    for level, base in enumerate(gen.base_anchors):
        w = base[:, 2] - base[:, 0]
        h = base[:, 3] - base[:, 1]
        # ratio 1, SSD's extra square anchor, then w/h 1.5 1.8 2.2 2.7
        torch.testing.assert_close(
            w / h, torch.tensor([1.0, 1.0, 1.5, 1.8, 2.2, 2.7]))
        # all ratios keep the anchor area min_size**2
        min_size = gen.min_sizes[level]
        torch.testing.assert_close(
            (w * h)[[0, 2, 3, 4, 5]],
            torch.full((5, ), float(min_size**2)),
            rtol=1e-5,
            atol=1e-2)
        assert w[1] == pytest.approx(
            (min_size * gen.max_sizes[level])**0.5, rel=1e-6)


def test_anchor_strides_tile_the_input(model):
    """stride * feature size == input size (w, h) on every level."""
    feats = list(
        model.backbone.to('meta')(torch.empty(1, 3, 576, 1920, device='meta')))
    feat = feats[-1]
    for layer in model.neck.extra_layers.to('meta'):
        feat = layer(feat)
        feats.append(feat)
    sizes = [tuple(f.shape[-2:]) for f in feats]
    assert sizes == [(72, 240), (36, 120), (18, 60), (9, 30), (7, 28), (5, 26)]
    gen = model.bbox_head.prior_generator
    for (feat_h, feat_w), (stride_w, stride_h) in zip(sizes, gen.strides):
        assert stride_w * feat_w == pytest.approx(1920)
        assert stride_h * feat_h == pytest.approx(576)
    anchors = gen.grid_priors(sizes, device='cpu')
    for level, (feat_h, feat_w) in enumerate(sizes):
        centres = (anchors[level][:, :2] + anchors[level][:, 2:]) / 2
        stride_w, stride_h = gen.strides[level]
        # first and last cell centres are half a stride inside the input
        assert centres[0].tolist() == pytest.approx(
            [stride_w / 2, stride_h / 2], rel=1e-5)
        assert centres[-1].tolist() == pytest.approx(
            [1920 - stride_w / 2, 576 - stride_h / 2], rel=1e-5)
    assert gen.valid_flags(sizes, (576, 1920), 'cpu')[5].all()


def test_config_datasets_and_metric_build_on_kitti_mini(cfg):
    if not KITTI_MINI.is_dir():
        pytest.skip(f'KITTI data not found: {KITTI_MINI.resolve()}')
    from mmdet.registry import DATASETS, METRICS
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        ds_cfg = loader.dataset.copy()
        ds_cfg.update(data_root=str(KITTI_MINI) + '/', ann_file='')
        ds_cfg.pipeline = []
        ds = DATASETS.build(ds_cfg)
        # training drops 000000 (a Pedestrian only), test mode keeps it
        assert len(ds) == (3 if ds.test_mode else 2)
    metric = METRICS.build(cfg.val_evaluator)
    assert type(metric).__name__ == 'KittiMetric'
