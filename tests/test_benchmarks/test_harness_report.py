"""benchmarks.harness.summary, .figures and .report: the summary with
missing parts, the plots and the README rendering."""
import json

from harness_fixtures import fixture_results, make_bench

from benchmarks.harness.figures import (plot_accuracy, plot_calibration,
                                        plot_recipe, plot_scoring, plot_sweep)
from benchmarks.harness.report import render_report, write_report
from benchmarks.harness.summary import make_summary


def test_summary_with_missing_parts_is_null():
    summary = make_summary({}, [0, 1, 2], 'abc')
    assert summary['commit'] == 'abc'
    assert summary['ssd'] == {'mAP50': None, 'AP70': None, 'AP': None}
    assert summary['led'] == {'mAP50': None, 'AP70': None, 'AP': None}
    assert summary['scoring_same_weights'] is None
    assert summary['pearson_iou'] is None
    assert summary['latency_ratio_led_over_ssd'] == dict(
        vgg16_b1=None, vgg16_b8=None, cpu_model_b1=None)
    assert summary['train_minutes'] == {}
    assert summary['ci95'] is None
    assert {t['status'] for t in summary['targets']} == {'pending'}
    json.dumps(summary)  # serializable

def test_summary_and_report_from_fixtures(tmp_path):
    results = fixture_results()
    summary = make_summary(results, [0, 1, 2], 'abc')
    assert summary['ssd']['mAP50'] == [25.0, 26.0, None]  # missing seed
    assert summary['led']['mAP50'] == [27.0, 28.0, 29.0]
    assert summary['scoring_same_weights']['gaussian'] == dict(
        mAP50=27.5, AP70=13.75)
    assert summary['pearson_iou']['conf_loc'] == 0.63
    assert summary['latency_ratio_led_over_ssd'] == dict(
        vgg16_b1=1.05, vgg16_b8=1.05, cpu_model_b1=1.05)
    assert summary['train_minutes']['led_s2'] == 32.0
    assert summary['ci95']['led-ssd/mAP50'] == [0.5, 3.5]
    status = {t['name']: t['status'] for t in summary['targets']}
    assert status['CPU SSD baseline mAP@0.5 on test (mean over seeds)'] == \
        'met'  # (25 + 26) / 2
    # differences are judged on their two-level interval: [1.0, 3.9] >=
    # +1.0 (met), [-1.5, 1.9] < +2.0 (missed), [-0.2, 2.5] around 0
    # (unresolved), none (pending)
    assert status['LED - SSD mAP@0.5 (mean over seeds)'] == 'met'
    assert status['LED - SSD AP@0.7 (mean over seeds)'] == 'missed'
    assert status['same weights: gaussian - cls mAP@0.5'] == 'unresolved'
    assert status['same weights: gaussian - cls AP@0.7'] == 'pending'
    assert status['corr(conf_loc, IoU) - corr(conf_cls, IoU)'] == 'met'
    assert status['corr(conf_loc, true IoU)'] == 'met'
    assert status['LED300 / SSD300-VGG16 batch-1 latency (forward + '
                  'post-processing)'] == 'met'
    figs = dict(
        accuracy=plot_accuracy(summary, str(tmp_path / 'a.png')),
        scoring=plot_scoring(results['scoring'], str(tmp_path / 's.png')),
        sweep=plot_sweep(results['sweep'], str(tmp_path / 'w.png')),
        calibration=plot_calibration(results['calibration'],
                                        str(tmp_path / 'c.png')),
        recipe=plot_recipe(results['recipe_search'],
                              str(tmp_path / 'r.png')))
    assert all(figs.values())
    assert (tmp_path / 'c.png').stat().st_size > 1000
    text = render_report(
        results,
        summary,
        {k: f'figures/{k}.png'
         for k in figs},
        [('train/ssd_s0', 'done', '20.0 min')],
        [0, 1, 2],
        recipe=results['recipe_search'])
    for heading in ('## Constraints of this machine', '## Targets',
                    '## Accuracy', '## Same weights', '## LE scoring',
                    '## Loc-quality calibration', '## Ablation',
                    '## Speed and cost', '## Recipe search',
                    '## Training runs', '## Parts'):
        assert heading in text, heading
    assert '| SSD | 2 | — |' in text  # the missing seed, not invented
    assert '**missed**' in text  # LED - SSD AP@0.7, two-level < 2.0
    assert 'a\\|b' in text  # recipe cells are escaped
    assert '![recipe search](figures/recipe.png)' in text
    assert '(> 30)' in text  # the 32-minute run is flagged

def test_report_from_nothing(tmp_path):
    bench = make_bench(tmp_path, seeds=[0])
    summary = write_report(bench)
    text = (tmp_path / 'README.md').read_text()
    assert 'pending' in text and summary['ssd']['mAP50'] is None
    saved = json.loads((tmp_path / 'results' / 'summary.json').read_text())
    assert saved['led'] == {'mAP50': None, 'AP70': None, 'AP': None}
    assert saved['parts']['train/ssd_s0'] == 'ready'
    assert saved['parts']['train/led_s0'] == 'blocked'
