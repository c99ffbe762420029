"""ONNX export of LED: exported detections equal PyTorch's on real images.

The models have random weights rescaled to unit-variance outputs on the
images (``lsuv_rescale``): a freshly initialized head scores every box
almost alike, and such exact ties would be ordered arbitrarily.
"""
import numpy as np
import pytest
import torch
from conftest import REPO, SHARED_DATA, run_tool

import mmdet_led  # noqa: F401
from mmdet_led.deployment.detection_graph import (DETECTION_OUTPUTS,
                                                  DetectionGraph, RawHeadGraph)
from mmdet_led.deployment.onnx_export import (export_onnx, init_cpu_detector,
                                              read_metadata)
from mmdet_led.deployment.ort_detector import ORTDetector
from mmdet_led.deployment.parity import (compare_detections, compare_engines,
                                         lsuv_rescale, preprocess,
                                         torch_detections)

CPU_LED = REPO / 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py'
KITTI_LED = REPO / 'configs/led/kitti/led_vgg16_1920x576_180k_kitti-car.py'
KITTI_IMAGES = SHARED_DATA / 'kitti_mini/training/image_2'
SCORE_MODES = ('cls', 'product', 'gaussian')


def voc_test_images(voc_root, num):
    """The first ``num`` genuine VOC2007 test images."""
    voc = voc_root / 'VOC2007'
    ids = (voc / 'ImageSets/Main/test.txt').read_text().split()[:num]
    return [str(voc / 'JPEGImages' / f'{i}.jpg') for i in ids]


def random_led(config, img_paths, scale=None):
    """LED with unit-variance random weights and its preprocessed images."""
    from mmengine.config import Config
    torch.manual_seed(0)
    cfg = Config.fromfile(config)
    if scale is not None:  # a smaller fixed input size (w, h)
        cfg.test_dataloader.dataset.pipeline[1].scale = scale
    model = init_cpu_detector(cfg)
    inputs, samples = preprocess(model, cfg.test_dataloader.dataset.pipeline,
                                 img_paths)
    lsuv_rescale(model, inputs)
    return model, inputs, samples


@pytest.fixture(scope='module')
def cpu_led_on_voc(voc_root):
    """The CPU LED and 8 real VOC2007 test images."""
    return random_led(CPU_LED, voc_test_images(voc_root, 8))


def assert_same_detections(model, inputs, samples, onnx_file):
    """onnxruntime on the whole batch == model.predict, image by image."""
    results, test = compare_engines(model, ORTDetector(onnx_file, threads=2),
                                    inputs, samples, box_tol=1e-3,
                                    score_tol=1e-5)
    for res in results:
        assert res['as_set'], res
        assert res['count_ref'] > 0
    return test


@pytest.mark.slow
@pytest.mark.parametrize('config', [
    'ledlite_efficientnetlite0_192_voc07_cpu.py',
    'retinanet/led-retinanet_efficientnetlite0_fpn_192_voc07_cpu.py',
    'atss/led-atss_efficientnetlite0_fpn_192_voc07_cpu.py',
    'fcos/led-fcos_efficientnetlite0_fpn_192_voc07_cpu.py',
    'ssdlite_efficientnetlite0_192_voc07_cpu.py',
    'fcos/fcos_efficientnetlite0_fpn_192_voc07_cpu.py',
])
def test_graph_equals_predict_exactly(config, voc_root):
    """Eager DetectionGraph (mmcv's NMS in place of the ONNX node) gives
    model.predict's detections bit for bit, for every LED head (and plain
    hosts), in every score mode."""
    model, inputs, samples = random_led(REPO / 'configs/led' / config,
                                        voc_test_images(voc_root, 2))
    head = model.bbox_head
    modes = SCORE_MODES + ('power', ) if hasattr(head, 'le_module') else ('',)
    for mode in modes:
        if mode:
            head.test_cfg.score_mode = mode
        graph = DetectionGraph(model, tuple(inputs.shape[-2:])).eval()
        with torch.no_grad():
            ref = torch_detections(
                model.predict(inputs, samples, rescale=False))
            out = dict(zip(DETECTION_OUTPUTS,
                           (o.numpy() for o in graph(inputs))))
        for b, r in enumerate(ref):
            test = {k: out[k][b, :out['num_dets'][b]] for k in r}
            res = compare_detections(r, test, box_tol=0, score_tol=0)
            assert res['in_order'] and res['count_ref'] > 0, (mode, b, res)


@pytest.mark.slow
@pytest.mark.parametrize('score_mode', SCORE_MODES)
def test_onnx_equals_pytorch_on_voc(score_mode, cpu_led_on_voc, tmp_path):
    model, inputs, samples = cpu_led_on_voc
    model.bbox_head.test_cfg.score_mode = score_mode
    onnx_file = str(tmp_path / 'led.onnx')
    names = export_onnx(model, onnx_file, tuple(inputs.shape[-2:]),
                        dynamic_batch=True)
    assert names == list(DETECTION_OUTPUTS)
    meta = read_metadata(onnx_file)
    assert meta['test_cfg']['score_mode'] == score_mode
    assert meta['input_shape'] == [192, 192] and meta['bgr_to_rgb']
    assert len(meta['classes']) == 20
    assert ORTDetector(onnx_file).metadata == meta
    batch = assert_same_detections(model, inputs, samples, onnx_file)
    # one image alone gives what it got in the batch (onnxruntime's convs
    # may round differently per batch size: floats to 1e-6)
    alone = ORTDetector(onnx_file).detections(inputs[3:4].numpy())[0]
    for key, value in alone.items():
        if value.dtype.kind == 'f':
            np.testing.assert_allclose(value, batch[3][key], rtol=1e-6,
                                       atol=1e-6)
        else:
            np.testing.assert_array_equal(value, batch[3][key])


@pytest.mark.slow
def test_raw_outputs_feed_predict_by_feat(cpu_led_on_voc, tmp_path):
    """The raw export's maps, post-processed by the head, give predict's
    detections."""
    model, inputs, samples = cpu_led_on_voc
    model.bbox_head.test_cfg.score_mode = 'gaussian'
    onnx_file = str(tmp_path / 'raw.onnx')
    names = export_onnx(model, onnx_file, (192, 192), raw_outputs=True)
    assert names[:2] == ['cls_score_0', 'cls_score_1']
    assert names[-1] == 'le_pred_5' and len(names) == 18
    raw = ORTDetector(onnx_file)
    head = model.bbox_head
    for i in range(2):
        maps = [torch.from_numpy(m) for m in raw(inputs[i:i + 1].numpy())
                .values()]
        outs = (maps[:6], maps[6:12], maps[12:])
        with torch.no_grad():
            ref = torch_detections(
                model.predict(inputs[i:i + 1], samples[i:i + 1]))[0]
            test = torch_detections(
                [type(samples[i])(pred_instances=inst) for inst in
                 head.predict_by_feat(*outs, batch_img_metas=[
                     samples[i].metainfo], rescale=True)])[0]
        assert compare_detections(ref, test)['as_set']


@pytest.mark.slow
def test_led_fcos_exports(voc_root, tmp_path):
    """An anchor-free LED head with a centerness branch (points, distance
    coder, centerness multiplied in after the LE-ranked top-k)."""
    config = 'fcos/led-fcos_efficientnetlite0_fpn_192_voc07_cpu.py'
    model, inputs, samples = random_led(REPO / 'configs/led' / config,
                                        voc_test_images(voc_root, 4))
    onnx_file = str(tmp_path / 'fcos.onnx')
    export_onnx(model, onnx_file, (192, 192), dynamic_batch=True)
    assert_same_detections(model, inputs, samples, onnx_file)


@pytest.mark.slow
def test_single_class_kitti_led_exports(tmp_path):
    """The single-class KITTI Car LED (VGG16) exports and matches PyTorch
    on the 3 real KITTI images, at 960x288 instead of 1920x576 (CI time)."""
    images = sorted(str(p) for p in KITTI_IMAGES.glob('*.png'))
    if len(images) != 3:
        pytest.skip(f'KITTI images not found at {KITTI_IMAGES}')
    model, inputs, samples = random_led(KITTI_LED, images, scale=(960, 288))
    assert model.bbox_head.num_classes == 1
    onnx_file = str(tmp_path / 'kitti.onnx')
    export_onnx(model, onnx_file, (288, 960), dynamic_batch=True)
    assert_same_detections(model, inputs, samples, onnx_file)


@pytest.mark.slow
def test_export_tool_checks_a_real_image(cpu_led_on_voc, voc_root, tmp_path):
    model, _, _ = cpu_led_on_voc
    ckpt = tmp_path / 'led.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=model.dataset_meta)), ckpt)
    out = run_tool('tools/deployment/export_onnx.py', CPU_LED, ckpt, '--out',
                   tmp_path / 'led.onnx', '--score-mode', 'product',
                   '--check', voc_test_images(voc_root, 1)[0])
    assert 'input (N, 3, 192, 192)' in out
    assert 'equal: True' in out
    assert read_metadata(str(tmp_path / 'led.onnx'))['test_cfg'][
        'score_mode'] == 'product'


@pytest.mark.parametrize('with_le,num_outs,kinds', [
    (False, 2, ['cls_score', 'bbox_pred']),
    (False, 3, ['cls_score', 'bbox_pred', 'score_factor']),
    (True, 3, ['cls_score', 'bbox_pred', 'le_pred']),
    (True, 4, ['cls_score', 'bbox_pred', 'score_factor', 'le_pred']),
])
def test_raw_output_names(with_le, num_outs, kinds):
    """Every raw map is named, the host's score factor (FCOS/ATSS
    centerness) apart from LED's LE maps."""
    head = torch.nn.Module()
    if with_le:
        head.le_module = torch.nn.Identity()
    detector = torch.nn.Module()
    detector.bbox_head = head
    outs = [[torch.zeros(1)] * 2] * num_outs
    assert RawHeadGraph(detector).output_names(outs) == [
        f'{k}_{i}' for k in kinds for i in range(2)
    ]


@pytest.mark.slow
def test_onnx_latency_times_network_and_whole_graph(cpu_led_on_voc,
                                                    tmp_path):
    """``benchmark_speed.py --onnx``: each model's raw-map export (the
    network) and whole-graph export run on onnxruntime, next to PyTorch."""
    from mmdet_led.deployment.speed import ort_sessions
    from mmdet_led.utils.benchmark import time_pair_on_images
    model, inputs, samples = cpu_led_on_voc
    sessions = ort_sessions(dict(led=model), (192, 192), str(tmp_path))
    maps = sessions['led']['net'](inputs[:1].numpy())
    assert len(maps) == 18 and 'le_pred_0' in maps
    assert 'num_dets' in sessions['led']['full'](inputs[:1].numpy())
    # sessions run in turns sleep when idle instead of spinning
    options = sessions['led']['net'].session.get_session_options()
    assert options.get_session_config_entry(
        'session.intra_op.allow_spinning') == '0'
    models = dict(ssd=model, led=model)
    sessions = dict(ssd=sessions['led'], led=sessions['led'])
    out = time_pair_on_images(models, [(inputs[:1], samples[:1])], 2, 1,
                              'cpu', sessions)
    for res in (out, out['onnxruntime']):
        for kind in ('net', 'full'):
            assert res[f'ratio_{kind}'] == (res['led'][f'{kind}_ms'] /
                                            res['ssd'][f'{kind}_ms'])
