"""benchmarks.harness.cli and .jobs: the command line, registries and
the side-by-side training scheduler."""
import re

import pytest
from harness_fixtures import make_bench

from benchmarks.harness.cli import bench_from_args, main, parse_args
from benchmarks.harness.common import RESULT_VERSION, write_json
from benchmarks.harness.jobs import job_runs, next_job
from benchmarks.harness.registry import (RUNS, VGG16_RUNS, get_registry,
                                         le_lr_mult, recipe_search_runs)
from benchmarks.harness.report import write_report
from mmdet_led.engine import step1_iter, twin_mismatch


def test_jobs_take_the_first_run_whose_source_is_finished(tmp_path):
    bench = make_bench(tmp_path, seeds=(0, 1))
    write_json(bench.result_path(bench.parts['train/ssd_s0']),
                  dict(version=RESULT_VERSION))
    assert bench.status('train/ssd_s0')[0] == 'done'
    assert bench.status('train/led_s1')[0] == 'blocked'
    runs = job_runs(bench, ['train/ssd_s*', 'train/led_s*'])
    assert runs == ['led_s0', 'ssd_s1', 'led_s1']
    # --force retrains a finished run, so it is queued as well
    assert job_runs(bench, ['train/ssd_s*'], ['train/*']) == [
        'ssd_s0', 'ssd_s1']
    deps = {r.name: [r.init_from] for r in bench.runs if r.init_from}
    assert deps['led_s1'] == ['ssd_s1']
    # two slots: led_s0 (its SSD is done) and ssd_s1 start; led_s1 waits
    assert next_job(runs, [], deps) == 'led_s0'
    assert next_job(runs[1:], ['led_s0'], deps) == 'ssd_s1'
    assert next_job(runs[2:], ['led_s0', 'ssd_s1'], deps) is None
    assert next_job(runs[2:], ['led_s0'], deps) == 'led_s1'
    assert next_job([], [], deps) is None

def test_list_cli(tmp_path, capsys):
    assert main([
        '--list', '--results-dir',
        str(tmp_path / 'r'), '--work-root',
        str(tmp_path / 'w'), '--parts', 'train/*', 'speed'
    ]) == 0
    out = capsys.readouterr().out
    assert re.search(r'train/ssd_s2\s+ready', out)
    assert re.search(r'speed\s+ready', out)
    assert 'eval/' not in out

def test_vgg16_registry_for_the_gpu(tmp_path):
    """--registry vgg16: the paper's pair from scratch, LED from its SSD's
    step 1, unit-scaled like the CPU recipe; its report says GPU."""
    args = parse_args([
        '--registry', 'vgg16', '--seeds', '0', '--unit', '19',
        '--results-dir', str(tmp_path / 'gpu' / 'results'), '--work-root',
        str(tmp_path / 'work')
    ])
    bench = bench_from_args(args)
    assert bench.registry is VGG16_RUNS
    train = [p for p in bench.parts if p.startswith('train/')]
    assert train == ['train/ssd_s0', 'train/led_s0']
    assert 'sweep' not in bench.parts
    assert bench.parts['train/led_s0'].deps == ['train/ssd_s0']
    ssd = bench.build_config(bench.run_named('ssd_s0'))
    led = bench.build_config(bench.run_named('led_s0'))
    assert ssd.model.bbox_head.type == 'SSDHead'
    assert led.model.bbox_head.type == 'LEDHead'
    assert ssd.model.backbone.type == 'SSDVGG'
    assert ssd.model.backbone.init_cfg is None  # from scratch
    assert ssd.train_cfg.max_iters == led.train_cfg.max_iters == 24 * 19
    assert step1_iter(led) == 12 * 19
    assert twin_mismatch(ssd, led) == []
    assert ssd.train_dataloader.batch_size == 32
    assert ssd.optim_wrapper.optimizer.lr == 2e-4
    assert ssd.train_dataloader.dataset.ann_file.endswith('trainval.txt')
    write_report(bench)
    text = (tmp_path / 'gpu' / 'README.md').read_text()
    assert text.startswith(
        '# Evidence benchmark: LED vs SSD on VOC2007 (VGG16 pair, GPU)')
    assert '2 CPU cores, no GPU' not in text
    # the CPU registry keeps its own report
    cpu = bench_from_args(parse_args([]))
    assert cpu.registry is RUNS and cpu.setting is None
    # the CPU recipe trained on a GPU says so in its report
    on_gpu = bench_from_args(parse_args(['--setting', 'cpu-gpu']))
    assert on_gpu.registry is RUNS
    assert on_gpu.setting[0] == 'CPU recipe, trained on a GPU'


def test_recipe_search_registries_are_one_function(tmp_path):
    """--registry v15/v16: the searches' runs on train -> val, each LED from
    the same SSD step 1; one function with the version as argument."""
    v15, v16 = get_registry('v15'), get_registry('v16')
    assert list(v15) == ['ssd', 'led', 'led-beta1']
    assert list(v16) == ['ssd', 'led', 'led-lemult10', 'led-lemult3']
    assert v15['ssd'] == v16['ssd']  # v16 reused v15's step 1
    for runs in (v15, v16):
        assert {(r['train'], r['eval']) for r in runs.values()} == {
            ('train', 'val')}
        assert {r.get('init_from') for k, r in runs.items()
                if k != 'ssd'} == {'ssd'}
    assert v15['led-beta1']['options'] == {'model.bbox_head.beta': 1.0}
    assert v16['led-lemult3']['options'] == le_lr_mult(3.0)
    assert le_lr_mult(3.0)['optim_wrapper.paramwise_cfg'] == dict(
        custom_keys={'bbox_head.le_module': dict(lr_mult=3.0)})
    bench = make_bench(tmp_path, seeds=[0], registry=v16)
    assert [r.name for r in bench.runs] == [
        'ssd_s0', 'led_s0', 'led-lemult10_s0', 'led-lemult3_s0']
    assert get_registry('cpu') is RUNS and get_registry('vgg16') is VGG16_RUNS
    with pytest.raises(ValueError, match='v14'):
        recipe_search_runs(14)
