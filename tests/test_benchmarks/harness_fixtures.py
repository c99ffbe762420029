"""Shared pieces of the benchmark-harness tests (not a test module)."""
import numpy as np

from benchmarks.harness.graph import Bench


def make_bench(tmp_path, seeds=(0, 1, 2), **kw):
    return Bench(
        seeds=seeds,
        results_dir=str(tmp_path / 'results'),
        work_root=str(tmp_path / 'work'),
        readme=str(tmp_path / 'README.md'),
        **kw)

def fixture_results(seeds=(0, 1, 2), missing=('eval_ssd_s2', )):
    """Result JSONs of a finished benchmark (made-up numbers)."""
    classes = ['car', 'dog']
    res = {}
    for key, base in (('ssd', 25.0), ('led', 27.0)):
        for s in seeds:
            m = dict(mAP50=base + s, AP70=base / 2 + s, AP=base / 3)
            res[f'eval_{key}_s{s}'] = dict(
                metrics=m,
                split='test',
                per_class_AP50=dict(car=m['mAP50'], dog=None),
                test_cfg=dict(score_mode='gaussian' if key == 'led' else
                              None))
            res[f'train_{key}_s{s}'] = dict(
                run=f'{key}_s{s}',
                config=f'configs/{key}.py',
                seed=s,
                max_iters=480,
                train_minutes=20.0 + s * 6,
                sessions=[{}],
                checkpoint=f'work_dirs/benchmark/{key}_s{s}/iter_480.pth',
                config_dumped=f'work_dirs/benchmark/{key}_s{s}/config.py')
    for name in missing:
        res.pop(name)
    modes = dict(cls=26.0, product=27.0, gaussian=27.5, gaussian_val=27.8)
    res['scoring'] = dict(
        runs=['led_s0', 'led_s1'],
        variants=dict(gaussian_val=dict(loc_lambda=0.8, loc_sigma=2.0)),
        per_seed={
            r: {m: dict(mAP50=v, AP70=v / 2, AP=v / 3)
                for m, v in modes.items()}
            for r in ('led_s0', 'led_s1')
        },
        mean={m: dict(mAP50=v, AP70=v / 2, AP=v / 3)
              for m, v in modes.items()})
    corr = lambda r: dict(pearson=r, spearman=r - 0.01, n=100)  # noqa
    bins = dict(
        edges=list(np.linspace(0, 1, 11)),
        counts=[1] * 10,
        mean_pred=[0.05 + 0.1 * i for i in range(10)],
        mean_true=[0.1 * i for i in range(10)],
        std_true=[0.1] * 10,
        ece=0.05)
    led_run = dict(
        model='led',
        num_images=431,
        num_dets=100,
        correlations={
            s: corr(r)
            for s, r in dict(
                conf_cls=0.4,
                pred_iou=0.62,
                iou_derived=0.6,
                conf_loc=0.63,
                conf_final=0.5).items()
        },
        bins={s: bins
              for s in ('conf_cls', 'pred_iou', 'conf_loc')})
    res['calibration'] = dict(
        runs=['led_s0', 'ssd_s0'],
        definition='pre-NMS detections ...',
        per_run=dict(
            led_s0=led_run,
            ssd_s0=dict(
                model='ssd',
                num_dets=100,
                correlations=dict(conf_cls=corr(0.3)),
                bins=dict(conf_cls=bins))),
        mean_led={
            s: dict(pearson=r, spearman=r)
            for s, r in dict(
                conf_cls=0.4,
                pred_iou=0.62,
                iou_derived=0.6,
                conf_loc=0.63,
                conf_final=0.5,
                ssd_conf_cls=0.3).items()
        })
    res['sweep'] = dict(
        run='led-trainsplit_s0',
        criterion='max val mAP50',
        default=dict(loc_lambda=0.6, loc_sigma=1.0),
        chosen=dict(loc_lambda=0.8, loc_sigma=2.0),
        grid=[dict(score_mode='cls', mAP50=20, AP70=9, AP=8)] + [
            dict(
                score_mode='gaussian',
                loc_lambda=lam,
                loc_sigma=sig,
                mAP50=20 + lam + sig,
                AP70=10,
                AP=9) for lam in (0.4, 0.6, 0.8, 1.0)
            for sig in (0.5, 1.0, 2.0)
        ])
    res['ablation'] = dict(
        note='small-scale',
        seed=0,
        rows=[
            dict(row='base', run='abl1_s0', score_mode='product',
                 mAP50=24.0, AP70=10.0, AP=9.0),
            dict(row='+ RF', run=None, score_mode='product')
        ],
        ssd=dict(row='SSD (no LE)', run='ssd_s0', mAP50=25.0, AP70=12.5,
                 AP=8.3))
    res['ci'] = dict(
        method='percentile bootstrap',
        differences={
            'led-ssd/mAP50': dict(estimate=2.0, ci95=[0.5, 3.5],
                                  ci95_two_level=[1.0, 3.9], num_seeds=2),
            'led-ssd/AP70': dict(estimate=2.0, ci95=[-0.5, 4.5],
                                 ci95_two_level=[-1.5, 1.9], num_seeds=2),
            'gaussian-cls/mAP50': dict(estimate=1.5, ci95=[0.7, 2.2],
                                       ci95_two_level=[-0.2, 2.5],
                                       num_seeds=3),
        })
    batches = {
        str(b): dict(
            ssd=dict(net_ms=10.0 * b, full_ms=12.0 * b),
            led=dict(net_ms=10.5 * b, full_ms=12.6 * b),
            ratio_net=1.05,
            ratio_full=1.05)
        for b in (1, 8)
    }
    pair = lambda: dict(  # noqa
        ssd_config='a.py',
        led_config='b.py',
        params=dict(ssd=1e6, led=1.1e6, le_module=1e5),
        gmacs=dict(led=1.0, le_module=0.05),
        batches=batches,
        train_step=dict(
            ssd=dict(step_ms=1000.0), led=dict(step_ms=1150.0), ratio=1.15,
            batch=8),
        memory={
            '1': dict(ssd=dict(peak_rss_mb=500.0), led=dict(
                peak_rss_mb=510.0), metric='peak_rss_mb', ratio=1.02)
        })
    res['speed'] = dict(
        command='python tools/benchmark_speed.py ...',
        speed=dict(
            device='cpu (2 threads)',
            torch='2.13',
            runs=30,
            warmup=5,
            pairs=dict(vgg16=pair(), cpu=pair())))
    res['recipe_search'] = [
        dict(name='v1', config='a.py', iterations=480, minutes=12.0,
             val_mAP50=10.5, notes='base', curve=[[4, 5.0], [12, 10.5]]),
        dict(name='v2', overrides={'lr': 0.06}, iterations=480,
             minutes=12.5, val_mAP50=11.0, notes='a|b')
    ]
    return res
