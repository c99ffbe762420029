"""The stack's known upstream bugs, fixed by ``import mmdet_led``.

Each test fails without its patch in :mod:`mmdet_led.patches`.
"""
import io
import pickletools
import zipfile

import pytest
import torch
from mmdet.models.dense_heads import SSDHead
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.logging import HistoryBuffer, MessageHub

import mmdet_led  # noqa: F401


def test_ssd_head_predicts():
    head = SSDHead(
        num_classes=2,
        in_channels=(4, ),
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            strides=[8],
            ratios=[[2]],
            min_sizes=[8],
            max_sizes=[16]),
        test_cfg=ConfigDict(
            nms_pre=100,
            nms=dict(type='nms', iou_threshold=0.45),
            score_thr=0.0,
            max_per_img=10))
    head.eval()
    sample = DetDataSample(metainfo=dict(img_shape=(16, 16),
                                         scale_factor=(1, 1)))
    # mmdet 3.3.0 alone: AttributeError: ... no attribute 'loss_cls'
    results = head.predict((torch.randn(1, 4, 2, 2), ), [sample])
    assert len(results[0]) > 0


def _message_hub_checkpoint() -> bytes:
    hub = MessageHub.get_instance('compat_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', torch.tensor(0.5))
    hub.update_info('metric', torch.tensor(3.0).numpy())
    buf = io.BytesIO()
    torch.save({'message_hub': hub.state_dict(),
                'state_dict': {'w': torch.ones(2)}}, buf)
    return buf.getvalue()


def test_mmengine_checkpoint_loads_weights_only():
    data = _message_hub_checkpoint()
    # torch >= 2.6 default: weights_only=True, with no flag from mmengine
    ckpt = torch.load(io.BytesIO(data))
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.0)
    assert buffer.statistics('current') == pytest.approx(0.5)


def test_weights_only_safety_is_kept():
    """Nothing was allow-listed that lets a checkpoint call arbitrary code:
    no ``getattr``, and unknown classes are still refused."""
    safe = torch.serialization.get_safe_globals()
    assert getattr not in safe
    buf = io.BytesIO()
    torch.save({'obj': pytest.approx}, buf)  # an arbitrary global
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(io.BytesIO(buf.getvalue()))


def test_history_buffer_pickles_without_getattr():
    with io.BytesIO(_message_hub_checkpoint()) as f:
        with zipfile.ZipFile(f) as z:
            pkl = z.read(next(n for n in z.namelist()
                              if n.endswith('data.pkl')))
    globals_used = {
        arg for op, arg, _ in pickletools.genops(pkl) if op.name == 'GLOBAL'
    }
    assert not any('getattr' in g for g in globals_used)
