"""LEDHead learns: the CPU LED model overfits a few generated images."""
import pytest
import torch
from mmdet.registry import DATASETS, MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from conftest import REPO


@pytest.mark.slow
def test_led_loss_decreases_on_generated_images(toy_voc):
    register_all_modules()
    torch.manual_seed(0)
    cfg = Config.fromfile(
        REPO / 'configs/led/ledlite_mobilenetv2_192_voc07_cpu.py')
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.bbox_head.phase = 'joint'
    data_cfg = cfg.train_dataloader.dataset
    data_cfg.update(data_root=f'{toy_voc}/', indices=4,
                    pipeline=[t for t in cfg.test_pipeline])
    dataset = DATASETS.build(data_cfg)
    batch = model.data_preprocessor(
        pseudo_collate([dataset[i] for i in range(4)]), training=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    history = []
    for _ in range(30):
        losses = model.loss(batch['inputs'], batch['data_samples'])
        loss, log = model.parse_losses(losses)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(log)
    first, last = history[0], history[-1]
    assert last['loss'] < 0.7 * first['loss']
    le_terms = [k for k in first if k.startswith('loss_le_')]
    assert len(le_terms) == 6
    assert sum(last[k] for k in le_terms) < sum(first[k] for k in le_terms)
