"""tools/benchmark_speed.py: its pairs and the markdown rendering."""
import json
import sys

import pytest
from conftest import REPO, load_tool, run_tool
from mmengine.config import Config

bs = load_tool('benchmark_speed')

EXPECTED_MD = """\
**batch 1, eager**

| pair      | plain ms    | LED ms      | ratio net   | ratio full   | ops plain/LED   | MAC floor   |
|-----------|-------------|-------------|-------------|--------------|-----------------|-------------|
| cpu       | 10.0 / 12.5 | 11.0 / 13.7 | 1.100       | 1.096        | 187 / 276       | 1.084       |
| retinanet | 20.0 / 25.0 | 21.0 / 26.0 | 1.050       | 1.040        | —               | 1.002       |

**batch 1, compiled**

| pair   | plain ms   | LED ms     | ratio net   | ratio full   | ops plain/LED   | MAC floor   |
|--------|------------|------------|-------------|--------------|-----------------|-------------|
| cpu    | 8.0 / 10.0 | 8.4 / 10.5 | 1.050       | 1.050        | 187 / 276       | 1.084       |

**batch 1, onnxruntime**

| pair   | plain ms   | LED ms    | ratio net   | ratio full   | ops plain/LED   | MAC floor   |
|--------|------------|-----------|-------------|--------------|-----------------|-------------|
| cpu    | 4.0 / 5.0  | 4.4 / 5.5 | 1.100       | 1.100        | —               | 1.084       |

**batch 1, eager, in the onnxruntime rounds**

| pair   | plain ms   | LED ms      | ratio net   | ratio full   | ops plain/LED   | MAC floor   |
|--------|------------|-------------|-------------|--------------|-----------------|-------------|
| cpu    | 9.0 / 11.0 | 10.0 / 12.0 | 1.111       | 1.091        | 187 / 276       | 1.084       |

**batch 8, eager**

| pair   | plain ms    | LED ms      | ratio net   | ratio full   | ops plain/LED   | MAC floor   |
|--------|-------------|-------------|-------------|--------------|-----------------|-------------|
| cpu    | 40.0 / 50.0 | 44.0 / 52.0 | 1.100       | 1.040        | 159.5 / 204     | 1.084       |

cpu (2 threads), torch 2.13.0+cpu, 2026-12-05: medians of 30 interleaved \
runs after 5 warm-up. ms: network forward / full predict (forward + \
post-processing); ratio: LED / plain; ops: non-view aten ops per image, \
head forward + post-processing; MAC floor: LED / plain conv MACs per image.

compiled: torch.compile (inductor); full = compiled network (_forward) + \
eager predict_by_feat.

onnxruntime: the exported models in CPU sessions; net = the raw head maps' \
export, full = the whole detection graph (post-processing and NMS in the \
graph, boxes in input pixels).

GPU: not measured since 2026-12-05
"""


def latency(plain_net, plain_full, led_net, led_full):
    return dict(
        ssd=dict(net_ms=plain_net, full_ms=plain_full),
        led=dict(net_ms=led_net, full_ms=led_full),
        ratio_net=led_net / plain_net,
        ratio_full=led_full / plain_full)


def ops(plain_head, plain_post, led_head, led_post):
    return dict(
        ssd=dict(head_forward=dict(compute=plain_head),
                 post=dict(compute=plain_post)),
        led=dict(head_forward=dict(compute=led_head),
                 post=dict(compute=led_post)))


@pytest.fixture
def results() -> dict:
    """Two pairs: cpu with compiled (batch 1), ORT and op counts at batch
    1 and 8; retinanet eager at batch 1 only, no op counts."""
    b1 = dict(latency(10.0, 12.5, 11.0, 13.7),
              compiled=latency(8.0, 10.0, 8.4, 10.5),
              onnx=dict(latency(9.0, 11.0, 10.0, 12.0),
                        onnxruntime=latency(4.0, 5.0, 4.4, 5.5)),
              ops=ops(12, 175, 72, 204))
    b8 = dict(latency(40.0, 50.0, 44.0, 52.0), ops=ops(1.5, 158, 9, 195))
    return dict(
        device='cpu (2 threads)',
        torch='2.13.0+cpu',
        date='2026-12-05T14:00:00+00:00',
        runs=30,
        warmup=5,
        pairs=dict(
            cpu=dict(
                mac_floor=1.0843,
                batches={'1': b1, '8': b8}),
            retinanet=dict(
                mac_floor=1.0023,
                batches={'1': latency(20.0, 25.0, 21.0, 26.0)})))


def test_render_markdown(results):
    assert bs.render_markdown(results) == EXPECTED_MD


def test_render_markdown_unfused_table(results):
    """``--unfused``: the same LED with per-branch LE layers, its own
    table after the eager one, against the same plain timings."""
    b1 = results['pairs']['cpu']['batches']['1']
    b1['led_unfused'] = dict(net_ms=12.0, full_ms=14.0)
    b1['ratio_net_unfused'], b1['ratio_full_unfused'] = 1.2, 1.12
    b1['ops']['led_unfused'] = dict(head_forward=dict(compute=138),
                                    post=dict(compute=204))
    md = bs.render_markdown(results)
    table = md.split('**batch 1, eager, LE per-branch (unfused)**\n\n')[1]
    assert table.split('\n')[2] == (
        '| cpu    | 10.0 / 12.5 | 12.0 / 14.0 | 1.200       | 1.120        '
        '| 187 / 342       | 1.084       |')
    assert md.index('LE per-branch') < md.index('batch 1, compiled')


def test_render_markdown_gpu_eager_only(results):
    results['device'] = 'NVIDIA H200'
    del results['pairs']['cpu']
    md = bs.render_markdown(results)
    assert md.startswith('**batch 1, eager**\n')
    assert '| retinanet | 20.0 / 25.0 | 21.0 / 26.0 |' in md
    assert 'compiled' not in md and 'GPU' not in md
    assert md.endswith('MAC floor: LED / plain conv MACs per image.\n')


def test_render_cli(results, tmp_path, monkeypatch):
    src, md = tmp_path / 'speed.json', tmp_path / 'out' / 'speed.md'
    src.write_text(json.dumps(results))
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_speed.py', '--render',
        str(src), '--markdown',
        str(md)
    ])
    bs.main()
    assert md.read_text() == EXPECTED_MD


def test_pairs_configs():
    assert set(bs.PAIRS) == {'vgg16', 'cpu', 'retinanet', 'fcos', 'atss'}
    fpn_heads = dict(retinanet='RetinaHead', fcos='FCOSHead', atss='ATSSHead')
    for pair, (plain, led, size) in bs.PAIRS.items():
        plain_head = Config.fromfile(REPO / plain).model.bbox_head.type
        led_head = Config.fromfile(REPO / led).model.bbox_head.type
        assert led_head.startswith('LED') and not plain_head.startswith('LED')
        if pair in fpn_heads:
            assert (plain_head, led_head) == (fpn_heads[pair],
                                              'LED' + fpn_heads[pair])
            assert size == 192


def test_render_markdown_trained_table():
    """``--checkpoints``: a pair timed with trained weights on test
    images, its own table and a note saying how."""
    results = dict(
        device='cpu (2 threads)', torch='2.13.0+cpu',
        date='2026-12-05T14:00:00+00:00', runs=10, warmup=2,
        pairs=dict(cpu=dict(batches={
            '1': dict(trained=dict(latency(10.0, 14.0, 11.0, 15.4),
                                   images=50))
        })))
    md = bs.render_markdown(results)
    assert md.startswith('**batch 1, eager, trained weights, test images**')
    assert ('| cpu    | 10.0 / 14.0 | 11.0 / 15.4 | 1.100       | 1.100    '
            '    | —               | —           |') in md
    assert 'on the first 50 test images, one per call' in md
    assert 'onnxruntime' not in md
    # with --onnx: the exports' timings in the same rounds, a table after
    trained = results['pairs']['cpu']['batches']['1']['trained']
    trained['onnxruntime'] = latency(5.0, 6.0, 5.4, 6.3)
    md = bs.render_markdown(results)
    table = md.split(
        '**batch 1, onnxruntime, trained weights, test images**\n\n')[1]
    assert table.split('\n')[2] == (
        '| cpu    | 5.0 / 6.0  | 5.4 / 6.3 | 1.080       | 1.050        '
        '| —               | —           |')
    assert 'net = the raw head maps\' export' in md


@pytest.mark.slow
def test_checkpoints_with_onnx_end_to_end(voc_root, tmp_path):
    """``--checkpoints PLAIN LED --onnx`` on real test images: eager and
    onnxruntime timings of both checkpoints, their tables rendered."""
    import torch
    from mmdet.utils import register_all_modules

    from mmdet_led.utils.benchmark import build_detector
    register_all_modules()
    if not (REPO / 'data/VOCdevkit/VOC2007').is_dir():
        pytest.skip('data/VOCdevkit is not linked (tools/setup_env.sh)')
    ckpts = []
    for name, config in zip(('plain', 'led'), bs.PAIRS['cpu'][:2]):
        torch.manual_seed(0)
        model = build_detector(str(REPO / config), 'cpu')
        ckpts.append(tmp_path / f'{name}.pth')
        torch.save(dict(state_dict=model.state_dict()), ckpts[-1])
    out, md = tmp_path / 'trained.json', tmp_path / 'trained.md'
    log = run_tool('tools/benchmark_speed.py', '--pairs', 'cpu', '--images',
                   '2', '--runs', '1', '--warmup', '0', '--onnx',
                   '--checkpoints', *ckpts, '--out', out, '--markdown', md)
    assert '[cpu b1 trained onnxruntime]' in log
    trained = json.loads(out.read_text())['pairs']['cpu']['batches']['1'][
        'trained']
    assert trained['images'] == 2
    for engine in (trained, trained['onnxruntime']):
        assert engine['ratio_net'] == (engine['led']['net_ms'] /
                                       engine['ssd']['net_ms'])
    text = md.read_text()
    assert '**batch 1, eager, trained weights, test images**' in text
    assert '**batch 1, onnxruntime, trained weights, test images**' in text
