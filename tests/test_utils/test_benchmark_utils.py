"""mmdet_led.utils.benchmark: conv MACs per call, the compiled-network
predict path, the interleaved timing loop and torch.compile."""
import pytest
import torch
import torch.nn as nn
from conftest import REPO, write_config
from mmdet.utils import register_all_modules
from mmengine.structures import InstanceData

from mmdet_led.utils.benchmark import (build_detector, compile_network,
                                       conv_macs, dummy_batch,
                                       interleaved_times, predict_with,
                                       load_test_images, time_pair,
                                       time_pair_on_images, time_train_step)

RETINANET = str(REPO / 'configs/led/retinanet/'
                'retinanet_efficientnetlite0_fpn_192_voc07_cpu.py')


@pytest.fixture(scope='module')
def retinanet() -> nn.Module:
    """The CPU RetinaNet (an FPN head), random weights, eval mode."""
    register_all_modules()
    torch.manual_seed(0)
    return build_detector(RETINANET, 'cpu')


class SharedConv(nn.Module):
    """One 3x3 conv 2->4 run on two maps, like a head shared by levels,
    and a depthwise 3x3 conv on the first output."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.dw = nn.Conv2d(4, 4, 3, padding=1, groups=4)

    def _forward(self, x: torch.Tensor) -> tuple:
        y = self.conv(x)
        return self.dw(y), self.conv(x[..., :3, :3])


class FakeHead(nn.Module):
    """``predict_by_feat``: the first three values of each image's map."""

    def predict_by_feat(self, maps: torch.Tensor, batch_img_metas: list,
                        rescale: bool) -> list:
        return [InstanceData(scores=m.flatten()[:3]) for m in maps]


class FakeDetector(nn.Module):
    """What :func:`time_pair` calls of a detector: a 3x3 conv 3->4 as the
    network, :class:`FakeHead` as the post-processing."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bbox_head = FakeHead()

    def _forward(self, x: torch.Tensor) -> tuple:
        return (self.conv(x), )

    def predict(self, inputs: torch.Tensor, samples: list,
                rescale: bool) -> list:
        return predict_with(self, self._forward, inputs, samples)

    def add_pred_to_datasample(self, samples: list, results: list) -> list:
        for sample, res in zip(samples, results):
            sample.pred_instances = res
        return samples


def test_conv_macs_one_conv():
    conv = nn.Conv2d(2, 4, 3, padding=1)
    macs = conv_macs(conv, torch.zeros(1, 2, 5, 5), forward=conv)
    # 4 outputs x 25 positions, each 2 inputs x 9 taps
    assert macs == {'': 4 * 2 * 9 * 25}


def test_conv_macs_counts_every_call_per_image():
    model = SharedConv()
    macs = conv_macs(model, torch.zeros(3, 2, 5, 5))
    # 5x5 call 1800, 3x3 call 4 * 2 * 9 * 9 = 648; per image at batch 3
    assert macs == {'conv': 1800 + 648, 'dw': 4 * 1 * 9 * 25}
    assert not model.conv._forward_hooks  # hooks removed


def test_conv_macs_fpn_head_shared_conv_per_level(retinanet):
    model = retinanet
    x = torch.zeros(1, 3, 96, 96)
    macs = conv_macs(model, x)
    with torch.no_grad():
        feats = model.extract_feat(x)
    conv = model.bbox_head.retina_cls
    positions = sum(f.shape[-2] * f.shape[-1] for f in feats)
    assert len(feats) == 5
    assert macs['bbox_head.retina_cls'] == (
        conv.out_channels * conv.in_channels * 9 * positions)


def test_predict_with_eager_network_is_predict(retinanet):
    model = retinanet
    inputs, samples = dummy_batch(1, 96, 'cpu')
    with torch.no_grad():
        ref = model.predict(inputs, samples, rescale=False)
        _, samples2 = dummy_batch(1, 96, 'cpu')
        got = predict_with(model, model._forward, inputs, samples2)
    for a, b in zip(ref, got):
        assert len(a.pred_instances) > 0
        assert torch.equal(a.pred_instances.bboxes, b.pred_instances.bboxes)
        assert torch.equal(a.pred_instances.scores, b.pred_instances.scores)


def test_interleaved_times_order_and_warmup():
    calls = []
    runners = {
        m: {k: (lambda m=m, k=k: calls.append(f'{m}.{k}'))
            for k in ('net', 'full')}
        for m in ('ssd', 'led')
    }
    times = interleaved_times(runners, runs=2, warmup=1, device='cpu')
    assert calls == ['ssd.net', 'ssd.full', 'led.net', 'led.full',
                     'led.net', 'led.full', 'ssd.net', 'ssd.full',
                     'ssd.net', 'ssd.full', 'led.net', 'led.full']
    assert {m: {k: len(v) for k, v in t.items()}
            for m, t in times.items()} == {
                'ssd': dict(net=2, full=2), 'led': dict(net=2, full=2)}


@pytest.mark.slow
@pytest.mark.parametrize('freezing', [False, True])
def test_compile_network_matches_eager(freezing):
    model = SharedConv().eval()
    x = torch.randn(2, 2, 5, 5)
    net, seconds = compile_network(model, x, 'cpu', freezing)
    assert seconds > 0
    with torch.no_grad():
        for a, b in zip(net(x), model._forward(x)):
            torch.testing.assert_close(a, b)


@pytest.mark.slow
def test_time_pair_compiled_keys_and_ratios():
    models = dict(ssd=FakeDetector().eval(), led=FakeDetector().eval())
    out = time_pair(models, 5, 2, runs=2, warmup=1, device='cpu',
                    compile=True)
    for res in (out, out['compiled']):
        assert res['ratio_net'] == res['led']['net_ms'] / res['ssd']['net_ms']
        assert res['ratio_full'] == (res['led']['full_ms'] /
                                     res['ssd']['full_ms'])
    for name in models:
        assert out['compiled'][name]['compile_s'] > 0
        assert out['compiled'][name]['net_ms'] > 0
    assert out['compiled']['mode'] == 'default'
    assert out['compiled']['freezing'] is False


def test_conv_macs_counts_the_le_modules_per_branch_layers():
    """The LE module's arithmetic, not its fused kernels (which no hook
    sees): on a 3x3 map, context/cls/reg 3x3 convs 4->2 (648 each), the 1x1
    fuse 10->2 (180), the 3x3 prediction 2->24 (3888)."""
    from mmdet_led.models.layers import LEModule
    le = LEModule(4, 4, 4, 1, branch_channels=2, context_channels=2,
                  feat_channels=2).eval()
    macs = conv_macs(le, torch.zeros(1, 4, 3, 3),
                     forward=lambda x: le([x], [x], [x]))
    assert sum(macs.values()) == 3 * 648 + 180 + 3888
    assert le.fused_inference


def test_build_detector_initializes_every_layer():
    """mmdet's L2Norm holds uninitialized memory until init_weights (its
    configured value is 20): timing garbage (denormals) is not timing the
    model."""
    model = build_detector(str(REPO / 'configs/led/ssd300_vgg16_voc0712.py'),
                           'cpu')
    assert torch.equal(model.neck.l2_norm.weight,
                       torch.full_like(model.neck.l2_norm.weight, 20.))
    assert not model.training
    # every prior competes in the post-processing, whatever the draw
    assert model.bbox_head.test_cfg.score_thr == 0


def test_time_pair_on_images_medians_over_images_and_ratios():
    models = dict(ssd=FakeDetector().eval(), led=FakeDetector().eval())
    images = [(torch.randn(1, 3, s, s), dummy_batch(1, s, 'cpu')[1])
              for s in (5, 7)]
    out = time_pair_on_images(models, images, runs=3, warmup=1,
                              device='cpu')
    assert out['images'] == 2
    assert out['ratio_net'] == out['led']['net_ms'] / out['ssd']['net_ms']
    assert out['ratio_full'] == out['led']['full_ms'] / out['ssd']['full_ms']
    # FakeHead keeps three values of each image's map
    assert out['ssd']['detections'] == out['led']['detections'] == 3
    assert 'onnxruntime' not in out


def test_time_pair_on_images_times_sessions_in_the_same_rounds():
    """``sessions`` (e.g. onnxruntime) get each image's input as an array
    in every round, their medians and ratios under ``onnxruntime``."""
    models = dict(ssd=FakeDetector().eval(), led=FakeDetector().eval())
    images = [(torch.randn(1, 3, s, s), dummy_batch(1, s, 'cpu')[1])
              for s in (5, 7)]
    calls = []
    sessions = {
        name: {kind: (lambda a, n=name, k=kind: calls.append((n, k, a.shape)))
               for kind in ('net', 'full')}
        for name in models
    }
    out = time_pair_on_images(models, images, runs=3, warmup=1,
                              device='cpu', sessions=sessions)
    assert len(calls) == 2 * 2 * 2 * 4  # models x kinds x images x rounds
    assert {shape for *_, shape in calls} == {(1, 3, 5, 5), (1, 3, 7, 7)}
    ort = out['onnxruntime']
    assert set(ort) == {'ssd', 'led', 'ratio_net', 'ratio_full'}
    assert ort['ratio_net'] == ort['led']['net_ms'] / ort['ssd']['net_ms']
    assert ort['ratio_full'] == (ort['led']['full_ms'] /
                                 ort['ssd']['full_ms'])


@pytest.mark.slow  # real training steps of the CPU RetinaNet (~10 s)
def test_time_train_step_steps_with_autograd_then_eval(retinanet):
    """Interleaved training steps (backward needs autograd on), the ratio
    of the medians, both models back in eval mode."""
    import copy
    models = dict(ssd=copy.deepcopy(retinanet), led=copy.deepcopy(retinanet))
    out = time_train_step(models, 64, 2, runs=3, warmup=1, device='cpu')
    assert out['ratio'] == out['led']['step_ms'] / out['ssd']['step_ms']
    assert (out['batch'], out['runs'], out['warmup']) == (2, 3, 1)
    assert out['ssd']['step_ms_min'] <= out['ssd']['step_ms'] <= out[
        'ssd']['step_ms_max']
    assert not any(m.training for m in models.values())


def test_build_detector_with_checkpoint_keeps_weights_and_test_cfg(
        retinanet, tmp_path):
    ckpt = tmp_path / 'retinanet.pth'
    torch.save(dict(state_dict=retinanet.state_dict()), ckpt)
    model = build_detector(RETINANET, 'cpu', str(ckpt))
    for name, value in retinanet.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name
    assert model.bbox_head.test_cfg.score_thr == 0.05  # RetinaNet's own
    assert not model.training


def test_load_test_images_preprocesses_batches_of_one(retinanet, toy_voc,
                                                     tmp_path):
    cfg = write_config(
        tmp_path / 'toy.py',
        'retinanet/retinanet_efficientnetlite0_fpn_192_voc07_cpu.py',
        f"test_dataloader = dict(dataset=dict(data_root='{toy_voc}/'))\n")
    images = load_test_images(retinanet, str(cfg), 3)
    assert len(images) == 3
    for inputs, samples in images:
        assert inputs.shape == (1, 3, 192, 192)
        assert inputs.dtype == torch.float32 and len(samples) == 1
        assert samples[0].img_path.endswith('.jpg')
        assert 'scale_factor' in samples[0].metainfo
