"""The NMS fallback for an mmcv without compiled ops (mmcv-lite)."""
import subprocess
import sys

import pytest
import torch

from mmdet_led.patches.mmcv_ops_fallback import (FALLBACK_FLAG, greedy_nms,
                                                 install_mmcv_ops_fallback,
                                                 make_ext_module)

from conftest import REPO


def test_greedy_nms_by_hand():
    # IoU(3, 0) = 90 / 100 = 0.9; IoU(3, 1) = 72 / 118 = 0.61; box 2 is
    # apart: 3 (0.95) suppresses 0 and 1, 2 stays.
    boxes = torch.tensor([[0., 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30],
                          [0, 0, 10, 9]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    assert greedy_nms(boxes, scores, 0.5).tolist() == [3, 2]
    # above 0.9 nothing overlaps enough but 3-0 (0.9 is not > 0.9)
    assert greedy_nms(boxes, scores, 0.9).tolist() == [3, 0, 1, 2]
    assert greedy_nms(boxes, scores, 0.6).tolist() == [3, 2]
    assert greedy_nms(boxes, scores, 0.65).tolist() == [3, 1, 2]
    assert greedy_nms(boxes[:0], scores[:0], 0.5).numel() == 0


def test_greedy_nms_offset_by_hand():
    # offset 1: areas 2x2 = 4 each, intersection 1x2 = 2, IoU 2 / 6 = 1/3
    boxes = torch.tensor([[0., 0, 1, 1], [1, 0, 2, 1]])
    scores = torch.tensor([0.5, 0.6])
    assert greedy_nms(boxes, scores, 0.3, offset=1).tolist() == [1]
    assert greedy_nms(boxes, scores, 0.34, offset=1).tolist() == [1, 0]
    assert greedy_nms(boxes, scores, 0.0, offset=0).tolist() == [1, 0]


def test_greedy_nms_equals_mmcv_nms():
    ext = pytest.importorskip('mmcv._ext')
    if getattr(ext, FALLBACK_FLAG, False):
        pytest.skip('mmcv has no compiled ops here')
    g = torch.Generator().manual_seed(0)
    for n in (1, 7, 300):
        xy = torch.rand(n, 2, generator=g) * 100
        wh = torch.rand(n, 2, generator=g) * 40 + 1
        boxes = torch.cat([xy, xy + wh], 1)
        scores = torch.rand(n, generator=g)
        for thr in (0.3, 0.5, 0.7):
            want = ext.nms(boxes, scores, iou_threshold=thr, offset=0)
            assert greedy_nms(boxes, scores, thr).tolist() == want.tolist()


def test_stand_in_module():
    module = make_ext_module()
    assert getattr(module, FALLBACK_FLAG)
    boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 9]])
    keep = module.nms(boxes, torch.tensor([0.4, 0.6]), iou_threshold=0.5,
                      offset=0)
    assert keep.tolist() == [1]
    assert hasattr(module, 'roi_align_forward')  # mmcv asserts this
    with pytest.raises(NotImplementedError, match='roi_align_forward'):
        module.roi_align_forward()


def test_real_ops_left_alone():
    # with compiled ops importable the fallback never replaces them
    try:
        import mmcv._ext  # noqa: F401
    except ImportError:
        pytest.skip('mmcv has no compiled ops here')
    assert install_mmcv_ops_fallback() is False
    assert not getattr(sys.modules['mmcv._ext'], FALLBACK_FLAG, False)


@pytest.mark.slow
def test_mmcv_without_ops_runs_ssd_postprocessing():
    """With ``mmcv._ext`` unloadable (as with mmcv-lite), ``import
    mmdet_led`` makes mmdet importable and mmdet's batched_nms work."""
    code = r'''
import sys, warnings
sys.modules['mmcv._ext'] = None  # what mmcv-lite amounts to
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    import mmdet_led
assert any('NMS fallback' in str(w.message) for w in caught)
import torch
from mmcv.ops import batched_nms, roi_align
from mmdet.models.dense_heads import SSDHead  # noqa: F401 (imports ops)
from mmengine.utils.dl_utils import mmcv_full_available
assert not mmcv_full_available()  # so no mmcv SyncBN is used
boxes = torch.tensor([[0., 0, 10, 10], [0, 0, 10, 9], [0, 0, 10, 10]])
scores = torch.tensor([0.5, 0.6, 0.4])
dets, keep = batched_nms(boxes, scores, torch.tensor([0, 0, 1]),
                         dict(type='nms', iou_threshold=0.5))
assert keep.tolist() == [1, 2], keep
try:
    roi_align(torch.zeros(1, 1, 4, 4), torch.zeros(1, 5), (2, 2))
except NotImplementedError as e:
    assert 'roi_align' in str(e)
else:
    raise AssertionError('roi_align should need the compiled ops')
print('ok')
'''
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('ok')
