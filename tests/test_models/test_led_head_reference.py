"""LEDHead against reference tensors pinned from its SSD-only implementation.

``tests/data/led_head_reference.pt`` holds, for three small seeded LEDHead
configurations, what the head computed before it became ``SSDHead`` + the
LE mixin: a fingerprint of the initialized weights and of the random stream,
the losses of each phase, the gradients of a few parameters and the
detections (and pre-NMS candidates) of every score mode. The refactored head
must reproduce them bit for bit.

Float results depend on the CPU kernels torch picks. With the torch build,
CPU capability and thread count that wrote the file they differ by a few
float32 roundings at most (the same capability string still lets oneDNN
pick other kernels: on a CPU with AMX, detections moved by 6e-8 of values up
to 128), so they are compared to relative 1e-6, absolute 1e-6 of the
tensor's largest value; otherwise to float32 rounding summed over a tensor
(relative 1e-4, absolute 1e-5 of its largest value). Integers always
exactly.

Regenerate only from a commit whose LEDHead is the reference:
``python tests/test_models/test_led_head_reference.py --write``.
"""
import copy
import sys
from pathlib import Path
from typing import Dict

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmdet_led  # noqa: F401  (registers LEDHead)
from conftest import small_led_head_cfg

DATA = Path(__file__).resolve().parents[1] / 'data' / 'led_head_reference.pt'
IMG = 64
#: score_mode x score_thr_on combinations whose detections are pinned.
SCORINGS = [(m, t) for m in ('gaussian', 'product', 'cls')
            for t in ('conf', 'cls')]
#: Parameters whose gradients are pinned in full; every other gradient is
#: pinned by its float64 sum and sum of squares.
GRAD_PARAMS = ('cls_convs.0.', 'reg_convs.1.0.bias',
               'le_module.pred_convs.1.bias', 'le_module.context_convs.0.')
#: The pinned configurations: name -> LEDHead options.
CONFIGS = {
    'default': dict(),
    'depthwise_bn': dict(
        use_depthwise=True,
        norm_cfg=dict(type='BN'),
        stacked_convs=1,
        feat_channels=8),
    'direct_no_rf': dict(
        le_module=dict(
            type='LEModule', richer_features=False, coarse_to_fine=False),
        alpha=0.5,
        beta=0.25),
}


def head_cfg(**kwargs) -> ConfigDict:
    """A small LEDHead: 2 levels of a 64x64 image, 3 classes."""
    return ConfigDict(
        small_led_head_cfg(
            test_cfg=dict(nms_pre=40, score_thr=0.2, max_per_img=50),
            **kwargs))

def build(options: dict):
    """The head of ``options`` built and initialized after seed 0."""
    torch.manual_seed(0)
    head = MODELS.build(head_cfg(**copy.deepcopy(options)))
    head.init_weights()
    return head


def feats(batch: int = 2, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 8, 4, 4, generator=g),
            torch.randn(batch, 16, 2, 2, generator=g))


def samples():
    """Two images: two objects in the first, one in the second."""
    boxes = [[[4., 6., 30., 40.], [30., 20., 60., 60.]], [[10., 8., 50., 44.]]]
    labels = [[0, 2], [1]]
    out = []
    for b, lab in zip(boxes, labels):
        s = DetDataSample(
            metainfo=dict(
                img_shape=(IMG, IMG),
                ori_shape=(2 * IMG, IMG),
                pad_shape=(IMG, IMG),
                scale_factor=(1.0, 0.5)))
        s.gt_instances = InstanceData(
            bboxes=torch.tensor(b), labels=torch.tensor(lab))
        out.append(s)
    return out


def _flat(value) -> torch.Tensor:
    return torch.stack(value) if isinstance(value, list) else value


def _fingerprint(tensors) -> torch.Tensor:
    """(sum, sum of squares) of each tensor, in float64, shape (T, 2)."""
    return torch.stack([
        torch.stack([t.double().sum(), t.double().pow(2).sum()])
        for t in tensors
    ])


def _columns(results: InstanceData, *extra: str) -> torch.Tensor:
    """Detections as one float tensor: bboxes, scores, labels, cls_scores,
    loc_scores and the ``extra`` fields, column after column."""
    keys = ('bboxes', 'scores', 'labels', 'cls_scores', 'loc_scores') + extra
    cols = [results.get(k).float() for k in keys]
    return torch.cat([c if c.dim() == 2 else c[:, None] for c in cols], 1)


def compute(options: dict) -> Dict[str, torch.Tensor]:
    """Everything pinned for one configuration, as a flat dict."""
    out = {}
    head = build(options)
    out['next_random'] = torch.rand(4)
    out['weights'] = _fingerprint(
        v for v in head.state_dict().values() if v.is_floating_point())
    for phase in ('det', 'le', 'joint'):
        head = build(options)
        head.train()
        head.phase = phase
        losses = head.loss(feats(), samples())
        for key, value in sorted(losses.items()):
            out[f'loss/{phase}/{key}'] = _flat(value).detach().clone()
        total = sum(_flat(v).sum() for v in losses.values())
        total.backward()
        grads = {n: p.grad for n, p in head.named_parameters()
                 if p.grad is not None}
        out[f'grad/{phase}/fingerprint'] = _fingerprint(grads.values())
        for name, grad in grads.items():
            if name.startswith(GRAD_PARAMS):
                out[f'grad/{phase}/{name}'] = grad.clone()
    out.update(detections(options, fused=False))
    return out


def detections(options: dict, fused: bool) -> Dict[str, torch.Tensor]:
    """Detections and pre-NMS candidates in every scoring, with the LE
    module's per-branch layers (the pinned maths) or its fused inference
    path."""
    out = {}
    head = build(options)
    head.le_module.fused_inference = fused
    head.eval()
    for mode, thr_on in SCORINGS:
        head.test_cfg.update(score_mode=mode, score_thr_on=thr_on)
        head.test_cfg.pop('prenms_candidates', None)
        data_samples = samples()
        with torch.no_grad():
            results = head.predict(feats(seed=1), data_samples, rescale=True)
        for i, res in enumerate(results):
            out[f'det/{mode}-{thr_on}/{i}'] = _columns(res)
        head.test_cfg.prenms_candidates = dict(topk=20, score_thr=0.05)
        data_samples = samples()
        with torch.no_grad():
            head.predict(feats(seed=1), data_samples, rescale=True)
        for i, sample in enumerate(data_samples):
            out[f'cand/{mode}-{thr_on}/{i}'] = _columns(
                sample.pred_candidates, 'loc_quality')
    return out


def reference_meta() -> Dict[str, str]:
    """The torch build and CPU capability the floats were computed with."""
    return dict(
        torch=str(torch.__version__),
        cpu=torch.backends.cpu.get_cpu_capability(),
        threads=str(torch.get_num_threads()))


@pytest.fixture(scope='module')
def reference():
    return torch.load(DATA, weights_only=True)


@pytest.mark.parametrize('name', list(CONFIGS))
def test_led_head_matches_pinned_reference(reference, name):
    expected = reference['configs'][name]
    actual = compute(CONFIGS[name])
    assert sorted(actual) == sorted(expected)
    exact = reference['meta'] == reference_meta()
    for key, want in expected.items():
        got = actual[key]
        assert got.dtype == want.dtype and got.shape == want.shape, key
        if not want.is_floating_point():
            assert torch.equal(got, want), key
        else:  # float32 kernels summing in another order
            rtol, atol = (1e-6, 1e-6) if exact else (1e-4, 1e-5)
            torch.testing.assert_close(
                got, want, rtol=rtol,
                atol=atol * max([1.] + want.abs().flatten().tolist()),
                msg=key)


def test_reference_covers_phases_modes_and_candidates(reference):
    """The pinned file holds what this test claims to check."""
    pinned = reference['configs']['default']
    for phase in ('det', 'le', 'joint'):
        assert any(k.startswith(f'loss/{phase}/') for k in pinned)
    assert not any(k.startswith('loss/det/loss_le') for k in pinned)
    assert any(k.startswith('grad/joint/le_module.') for k in pinned)
    assert any(k.startswith('grad/joint/cls_convs.') for k in pinned)
    assert not any(k.startswith('grad/det/le_module.') for k in pinned)
    assert pinned['grad/det/fingerprint'].size(0) < pinned[
        'grad/joint/fingerprint'].size(0)
    for mode, thr_on in SCORINGS:
        for i in (0, 1):
            assert pinned[f'det/{mode}-{thr_on}/{i}'].size(0) > 0
            assert pinned[f'cand/{mode}-{thr_on}/{i}'].shape[1] == 11
    # the score modes do rank differently on this input (column 4: scores)
    assert not torch.equal(pinned['det/gaussian-conf/0'][:, 4],
                           pinned['det/cls-conf/0'][:, 4])


if __name__ == '__main__' and sys.argv[1:] == ['--write']:
    DATA.parent.mkdir(exist_ok=True)
    torch.save(
        dict(meta=reference_meta(),
             configs={name: compute(opts)
                      for name, opts in CONFIGS.items()}), DATA)
    print(f'wrote {DATA} ({DATA.stat().st_size} bytes)')


@pytest.mark.parametrize('name', list(CONFIGS))
def test_fused_inference_matches_pinned_detections(reference, name):
    """The LE module's fused inference path gives the pinned detections up
    to float rounding (BatchNorm folded, convs merged)."""
    expected = reference['configs'][name]
    for key, got in detections(CONFIGS[name], fused=True).items():
        torch.testing.assert_close(got, expected[key], rtol=1e-5, atol=1e-5,
                                   msg=key)
