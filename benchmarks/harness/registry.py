"""The run registries and the benchmark's settings: edit here.

A registry maps a key to a training recipe; every (key, seed) is one run,
trained by ``train/<run>`` and evaluated by ``eval/<run>``. Entry fields:

- ``config``: the training config; ``options``: its ``--cfg-options``;
- ``seeds``: ``'all'`` (the ``--seeds``), ``'first'`` (the first of them)
  or an explicit list;
- ``train``/``eval``: names of :data:`SPLITS` (default trainval/test);
- ``init_from``: the key of the SSD run (same seed) whose checkpoint at the
  end of LED's step 1 this LED run resumes from. LED's step 1 trains
  exactly that SSD (same config but for the head's LE parts, LE
  initialized from its own random stream), so it is computed once and LED
  and SSD share their first 12 of 24 units bit for bit;
- ``desc``: one line for the report;
- ``val_sweep`` (``heads``): also train this LED run and the twin it starts
  from on train.txt, evaluate on val.txt and sweep its LE scoring there
  (:func:`with_val_twins`).

:func:`get_registry` names them: ``cpu`` (the benchmark), ``vgg16`` (the
paper's pair for a GPU) and the recipe searches ``v15``/``v16``
(:func:`recipe_search_runs`; their history is in ``benchmarks/HISTORY.md``)
and ``heads`` (LE on RetinaNet and FCOS against their plain twins and
MMDetection's quality heads ATSS and GFL, :data:`HEADS_RUNS`) and
``heads-atss`` (LE on ATSS against ATSS, :data:`ATSS_RUNS`).
"""
from typing import Any, Dict, Optional

from mmdet_led.evaluation import LocQualityMetric

CPU_SSD = 'configs/led/ssdlite_efficientnetlite0_192_voc07_cpu.py'
CPU_LED = 'configs/led/ledlite_efficientnetlite0_192_voc07_cpu.py'
VGG16_SSD = 'configs/led/ssd300_vgg16_scratch_voc07.py'
VGG16_LED = 'configs/led/led300_vgg16_scratch_voc07.py'

#: Image-set files (relative to the data root) that split names refer to.
SPLITS = dict(
    trainval='VOC2007/ImageSets/Main/trainval.txt',
    train='VOC2007/ImageSets/Main/train.txt',
    val='VOC2007/ImageSets/Main/val.txt',
    test='VOC2007/ImageSets/Main/test.txt')

#: Iterations per paper-10k of every run's schedule (``--unit`` overrides):
#: 24 * 48 = 1152 iterations at batch 16, about 16 epochs of trainval (the
#: length chosen on train -> val, ``benchmarks/HISTORY.md``). An SSD run
#: takes 20-40 min with two runs side by side, one thread each, on a 2-core
#: machine (the wall times are in the report).
UNIT = 48

#: ``--cfg-options`` applied to every run (before the per-run ones).
COMMON_OPTIONS: Dict[str, Any] = {}

#: The CPU benchmark. SSD and LED use the same schedule file, hence equal
#: total iterations; choices (lambda, sigma) are made on train/val only.
RUNS: Dict[str, dict] = {
    'ssd':
    dict(
        config=CPU_SSD,
        seeds='all',
        train='trainval',
        eval='test',
        options={},
        desc='SSDLite-EfficientNet-Lite0 192 (ImageNet), CPU SSD baseline'),
    'led':
    dict(
        config=CPU_LED,
        seeds='all',
        train='trainval',
        eval='test',
        options={},
        init_from='ssd',
        desc='LEDLite-EfficientNet-Lite0 192 (RF, C2F, Sharp-L2, Gaussian)'),
    'ssd-trainsplit':
    dict(
        config=CPU_SSD,
        seeds='first',
        train='train',
        eval='val',
        options={},
        desc='SSD trained on train.txt: step 1 of led-trainsplit, val '
        'baseline'),
    'led-trainsplit':
    dict(
        config=CPU_LED,
        seeds='first',
        train='train',
        eval='val',
        options={},
        init_from='ssd-trainsplit',
        desc='LED trained on train.txt, for the val sweep'),
    # Table 2's cumulative rows 1-3 (rows 4-5 are the 'led' run, first seed)
    'abl1':
    dict(
        config=CPU_LED,
        seeds='first',
        train='trainval',
        eval='test',
        options={
            'model.bbox_head.le_module.richer_features': False,
            'model.bbox_head.le_module.coarse_to_fine': False,
            'model.bbox_head.loss_le_fine.sharp': False,
            'model.test_cfg.score_mode': 'product'
        },
        init_from='ssd',
        desc='base features + direct + L2 + product'),
    'abl2':
    dict(
        config=CPU_LED,
        seeds='first',
        train='trainval',
        eval='test',
        options={
            'model.bbox_head.le_module.coarse_to_fine': False,
            'model.bbox_head.loss_le_fine.sharp': False,
            'model.test_cfg.score_mode': 'product'
        },
        init_from='ssd',
        desc='+ RF'),
    'abl3':
    dict(
        config=CPU_LED,
        seeds='first',
        train='trainval',
        eval='test',
        options={
            'model.bbox_head.loss_le_fine.sharp': False,
            'model.test_cfg.score_mode': 'product'
        },
        init_from='ssd',
        desc='+ C2F'),
}

#: The paper's SSD300/LED300-VGG16 pair from scratch, for a machine with a
#: GPU (training on it; the harness's test passes and re-scoring stay on
#: the CPU). Same protocol as the CPU pair; ``--unit`` sets the length
#: (benchmarks/gpu/run_vgg16_pair.sh sizes it to the GPU time at hand).
VGG16_RUNS: Dict[str, dict] = {
    'ssd':
    dict(
        config=VGG16_SSD,
        seeds='all',
        options={},
        desc='SSD300-VGG16 from scratch (GPU)'),
    'led':
    dict(
        config=VGG16_LED,
        seeds='all',
        options={},
        init_from='ssd',
        desc='LED300-VGG16 from scratch (RF, C2F, Sharp-L2, Gaussian; GPU)'),
}


def trainsplit(entry: dict, init_from: Optional[str] = None) -> dict:
    """``entry`` trained on train.txt and evaluated on val.txt, first seed
    only, starting from ``init_from``'s step 1 (if given)."""
    return dict(entry, seeds='first', train='train', eval='val',
                init_from=init_from, val_sweep=False,
                desc=entry['desc'] + ' (train -> val)')


def with_val_twins(runs: Dict[str, dict]) -> Dict[str, dict]:
    """``runs`` plus, for every ``val_sweep`` entry, ``<key>-trainsplit``
    and ``<twin>-trainsplit`` (:func:`trainsplit`) for its val sweep."""
    out = dict(runs)
    for key, entry in runs.items():
        if entry.get('val_sweep'):
            twin = entry['init_from']
            out[f'{twin}-trainsplit'] = trainsplit(runs[twin])
            out[f'{key}-trainsplit'] = trainsplit(entry, f'{twin}-trainsplit')
    return out


#: The FPN-head comparison (``--registry heads``): LED-RetinaNet and
#: LED-FCOS, each started from its plain twin's step 1 like the CPU LED from
#: its SSD, and MMDetection's own quality heads on the same backbone, neck,
#: data and schedule as rivals: ATSS (centerness) and GFL (quality in the
#: class score).
HEADS_MODELS: Dict[str, dict] = {
    'retinanet':
    dict(
        config='configs/led/retinanet/'
        'retinanet_efficientnetlite0_fpn_192_voc07_cpu.py',
        desc='RetinaNet, EfficientNet-Lite0 + FPN 192 (ImageNet)'),
    'led-retinanet':
    dict(
        config='configs/led/retinanet/'
        'led-retinanet_efficientnetlite0_fpn_192_voc07_cpu.py',
        init_from='retinanet',
        val_sweep=True,
        desc='LED-RetinaNet: RetinaNet with LEDRetinaHead'),
    'fcos':
    dict(
        config='configs/led/fcos/fcos_efficientnetlite0_fpn_192_voc07_cpu.py',
        desc='FCOS (centerness), EfficientNet-Lite0 + FPN 192'),
    'led-fcos':
    dict(
        config='configs/led/fcos/'
        'led-fcos_efficientnetlite0_fpn_192_voc07_cpu.py',
        init_from='fcos',
        val_sweep=True,
        desc='LED-FCOS: FCOS with LEDFCOSHead (centerness kept)'),
    'atss':
    dict(
        config='configs/led/atss/atss_efficientnetlite0_fpn_192_voc07_cpu.py',
        desc='ATSS (centerness), EfficientNet-Lite0 + FPN 192'),
    'gfl':
    dict(
        config='configs/led/gfl/gfl_efficientnetlite0_fpn_192_voc07_cpu.py',
        desc='GFL (quality focal loss), EfficientNet-Lite0 + FPN 192'),
}
#: Plus the LED heads' train -> val runs for their scoring sweep.
HEADS_RUNS = with_val_twins(HEADS_MODELS)
#: Differences ``(A, B)`` (A - B) the ``heads`` part bootstraps.
HEADS_COMPARISONS = [('led-retinanet', 'retinanet'), ('led-fcos', 'fcos'),
                     ('led-retinanet', 'atss'), ('led-retinanet', 'gfl'),
                     ('led-fcos', 'atss'), ('led-fcos', 'gfl')]
#: Targets of the comparison: (A, B, metric, at least), judged on the
#: two-level interval of A - B.
HEADS_TARGETS = [
    ('led-retinanet', 'retinanet', 'AP', 2.0),
    ('led-retinanet', 'retinanet', 'AP75', 3.0),
    ('led-fcos', 'fcos', 'AP', 2.0),
    ('led-fcos', 'fcos', 'AP75', 3.0),
    ('led-retinanet', 'atss', 'AP', 0.0),
    ('led-retinanet', 'gfl', 'AP', 0.0),
    ('led-fcos', 'atss', 'AP', 0.0),
    ('led-fcos', 'gfl', 'AP', 0.0),
]
#: LED keys of the comparison and their pair in ``tools/benchmark_speed.py``
#: (the LE latency targets read ``benchmarks/results/le_cost_eager.json``).
HEADS_SPEED_PAIRS = {
    'led-retinanet': 'retinanet',
    'led-fcos': 'fcos',
    'led-atss': 'atss'
}
#: LED / plain batch-1 latency the LE cost may reach (network and full).
HEADS_LATENCY_TARGET = 1.10

def led_atss_variant(name: str, desc: str) -> dict:
    """A variant of LED-ATSS (``configs/led/atss/<name>_...``), started
    from ATSS's step 1 like it, run on train -> val only (no test seeds)
    unless its rule below is met."""
    return dict(
        config=f'configs/led/atss/{name}_efficientnetlite0_fpn_192_'
        'voc07_cpu.py',
        init_from='atss',
        val_sweep=True,
        seeds=[],
        desc=desc)


#: LE on ATSS (``--registry heads-atss``): LED-ATSS started from ATSS's step
#: 1, against ATSS, the best of MMDetection's quality heads in the ``heads``
#: comparison, whose centerness LED-ATSS keeps. A comparison of its own
#: (one question, one set of runs; its aggregate bootstraps the raw outputs
#: of every run it compares), with the train -> val runs of LED-ATSS's
#: scoring sweep.
#:
#: Its variants each ask one question; the rule that sends one to test,
#: fixed before its val run: its best val scoring cell's AP@[.5:.95] is
#: above both its plain twin's (12.52) and ``led-atss``'s best cell's
#: (12.46). None met it, so each has its val sweep only:
#:
#: - ``led-atss-detach``: does keeping the LE loss out of ATSS's training
#:   help? Best cell 12.49, its class score alone.
#: - ``led-atss-pred3``: is the slim heads' 1x1 LE prediction conv why LE
#:   orders one object's candidates worse than the class score
#:   (``benchmarks/loc_quality_headroom.md``)? 12.46.
#: - ``led-atss-rank``: does ``LERankingLoss`` (temperature 0.1, IoU >= 0.5,
#:   weight 1, set before any run) teach that order? 12.34.
#: - ``led-atss-wide``: does the slim LE lack the capacity (the paper's
#:   widths: 32-channel branches, 3x3 prediction)? 12.25.
#: - ``led-atss-outputs``: is it what the LE reads? Its RF branches read
#:   ATSS's class logits and box deltas, as the paper's and SSD's LE do
#:   (on SSDLite LE orders one object's candidates better than the class
#:   score). 12.33.
#: - ``led-atss-perlevel``: is it the LE convs shared across the five
#:   levels? One set per level, as SSD's LE has. 12.35.
#: - ``led-atss-boxfeat``: is it that LE sees where each anchor sits but not
#:   where its box landed? Its regression branch reads the reg tower's
#:   features at the predicted box's corners, edge midpoints and centre
#:   (``le_box_features``; IoU-Net and VarifocalNet read box features too).
#:   12.17.
#: - ``led-atss-densefg``: is it the LE sampler, which trains on the
#:   highest-loss few priors of each IoU range? Every prior of IoU >= 0.4
#:   (the ranges one object's candidates come from) trains the LE. 12.21.
ATSS_RUNS = with_val_twins({
    'atss':
    HEADS_MODELS['atss'],
    'led-atss':
    dict(
        config='configs/led/atss/'
        'led-atss_efficientnetlite0_fpn_192_voc07_cpu.py',
        init_from='atss',
        val_sweep=True,
        desc='LED-ATSS: ATSS with LEDATSSHead (centerness kept)'),
    'led-atss-detach':
    led_atss_variant(
        'led-atss-detach',
        'LED-ATSS, the LE loss stopped at the LE module\'s inputs'),
    'led-atss-pred3':
    led_atss_variant('led-atss-pred3',
                     'LED-ATSS with the paper\'s 3x3 LE prediction conv'),
    'led-atss-rank':
    led_atss_variant('led-atss-rank',
                     'LED-ATSS with LE\'s ranking loss within objects'),
    'led-atss-wide':
    led_atss_variant('led-atss-wide',
                     'LED-ATSS with the paper\'s LE widths'),
    'led-atss-outputs':
    led_atss_variant('led-atss-outputs',
                     'LED-ATSS, its LE reading ATSS\'s output maps'),
    'led-atss-perlevel':
    led_atss_variant('led-atss-perlevel',
                     'LED-ATSS with LE convs of its own on every level'),
    'led-atss-boxfeat':
    led_atss_variant('led-atss-boxfeat',
                     'LED-ATSS, its LE reading features at the predicted box'),
    'led-atss-densefg':
    led_atss_variant('led-atss-densefg',
                     'LED-ATSS, its LE trained on every prior of IoU >= 0.4'),
})
ATSS_COMPARISONS = [('led-atss', 'atss'), ('led-atss-detach', 'atss'),
                    ('led-atss-pred3', 'atss'), ('led-atss-rank', 'atss'),
                    ('led-atss-wide', 'atss'), ('led-atss-outputs', 'atss'),
                    ('led-atss-perlevel', 'atss'),
                    ('led-atss-boxfeat', 'atss'), ('led-atss-densefg', 'atss')]

#: Per comparison registry: its differences, the folder under
#: ``benchmarks/`` of its report (``results/`` and ``README.md``), the
#: report's title and what its protocol paragraph says of its models.
COMPARISONS = {
    'heads':
    dict(
        comparisons=HEADS_COMPARISONS,
        folder='heads',
        title='LED-RetinaNet and LED-FCOS against their twins, ATSS and GFL',
        about='ATSS (centerness) and GFL (quality focal loss) are '
        'MMDetection\'s own quality heads, the rivals'),
    'heads-atss':
    dict(
        comparisons=ATSS_COMPARISONS,
        folder='heads_atss',
        title='LED-ATSS against ATSS',
        about='ATSS is the best of MMDetection\'s quality heads in the '
        'FPN-head comparison ([`../heads/`](../heads/README.md)); LED-ATSS '
        'adds LE to it and keeps its centerness, multiplied in after the '
        'LE-ranked top-k (`test_cfg.centerness=\'combine\'`). Backbone, '
        'neck, data, schedule and seeds are that comparison\'s; its runs '
        'were trained on another CPU kind, so its ATSS rows differ from '
        'these by the training noise across CPU kinds '
        '([`../reproducibility.md`](../reproducibility.md)). '
        '`led-atss-detach` is LED-ATSS with the LE loss stopped at the LE '
        'module\'s inputs (`le_module.detach_inputs`), so that ATSS trains '
        'as without LE; `led-atss-pred3` is LED-ATSS with the paper\'s 3x3 '
        'LE prediction conv instead of the slim heads\' 1x1; '
        '`led-atss-rank` adds a ranking loss of conf_loc among each '
        'object\'s priors (`LERankingLoss`); `led-atss-wide` has the '
        'paper\'s LE widths; `led-atss-outputs` feeds the LE ATSS\'s '
        'output maps (class logits, box deltas) instead of its towers\' '
        'last features, as the paper does; `led-atss-perlevel` gives every '
        'level LE convs of its own; `led-atss-boxfeat`\'s LE reads the '
        'reg tower\'s features at 9 points of each predicted box; '
        '`led-atss-densefg` trains the LE on every prior of IoU >= 0.4; '
        'they ran on '
        'train -> val only, their rule for a test run '
        '(`benchmarks/harness/registry.py`) not met'),
}


def le_lr_mult(mult: float) -> dict:
    """``--cfg-options`` giving LED's LE module ``mult`` times the LR."""
    return {
        'optim_wrapper.paramwise_cfg':
        dict(custom_keys={'bbox_head.le_module': dict(lr_mult=mult)})
    }


def recipe_search_runs(version: int) -> Dict[str, dict]:
    """The runs of recipe search ``version`` (15 or 16), train -> val.

    Both compare LED variants with the LED of recipe v14, all from the same
    SSD step 1; the pre-set rules and outcomes are in
    ``benchmarks/HISTORY.md``. v15: the LE loss weighted 1 instead of 1/3
    in the joint phase (``beta``). v16: the LE module alone at 10x or 3x
    the LR (``paramwise_cfg``), from the same SSD step 1 and v14 LED.
    """
    runs = {
        'ssd':
        dict(config=CPU_SSD, seeds='all', train='train', eval='val',
             options={}, desc='SSD on train.txt (v15 step 1)'),
        'led':
        dict(config=CPU_LED, seeds='all', train='train', eval='val',
             options={}, init_from='ssd', desc='LED v14 on train.txt'),
    }
    if version == 15:
        runs['led-beta1'] = dict(
            config=CPU_LED, seeds='all', train='train', eval='val',
            options={'model.bbox_head.beta': 1.0}, init_from='ssd',
            desc='LED, LE loss weight 1 in the joint phase')
    elif version == 16:
        for m in (10, 3):
            runs[f'led-lemult{m}'] = dict(
                config=CPU_LED, seeds='all', train='train', eval='val',
                options=le_lr_mult(float(m)), init_from='ssd',
                desc=f'LED, LE module at {m}x the LR')
    else:
        raise ValueError(f'no recipe search v{version} (15 or 16)')
    return runs


#: ``--registry`` names.
REGISTRY_NAMES = ('cpu', 'heads', 'heads-atss', 'v15', 'v16', 'vgg16')


def get_registry(name: str) -> Dict[str, dict]:
    """The runs ``--registry name`` selects (:data:`REGISTRY_NAMES`)."""
    if name == 'cpu':
        return RUNS
    if name == 'vgg16':
        return VGG16_RUNS
    if name == 'heads':
        return HEADS_RUNS
    if name == 'heads-atss':
        return ATSS_RUNS
    if name in ('v15', 'v16'):
        return recipe_search_runs(int(name[1:]))
    raise ValueError(f'unknown registry {name!r}: {REGISTRY_NAMES}')


#: Report title and "constraints" paragraph of a setting other than the
#: CPU recipe's (whose paragraph the report template writes itself).
REGISTRY_SETTINGS = {
    'vgg16':
    ('VGG16 pair, GPU',
     'Trained on a GPU machine lent for minutes (the device, torch and the '
     'training-step times are in `results/speed_gpu.json`); the harness\'s '
     'test passes and re-scoring ran on that machine\'s CPU. '
     'SSD300/LED300-VGG16 as in the paper but from random initialization '
     '(no ImageNet VGG16 can be fetched), AdamW at a peak lr of 2e-4 with '
     'the CPU recipe\'s unit-based cosine schedule, batch 32, sized by '
     '`benchmarks/gpu/run_vgg16_pair.sh` to the GPU time at hand. Images: '
     'the VOC2007 subset downscaled to a longest side of 320 px '
     '(`tools/shrink_voc.py`, boxes scaled with them) to fit the upload to '
     'that machine'),
    # `--registry cpu --setting cpu-gpu`: the CPU recipe trained on a GPU
    'cpu-gpu':
    ('CPU recipe, trained on a GPU',
     'The CPU recipe\'s pair (SSDLite/LEDLite on the ImageNet-pretrained '
     'EfficientNet-Lite0 at 192x192, its own schedule and batch) trained on '
     'a GPU machine lent for minutes, to add seeds to the CPU benchmark\'s '
     'comparison; the test passes and re-scoring ran on that machine\'s '
     'CPU. Images: the VOC2007 subset downscaled to a longest side of 320 '
     'px (`tools/shrink_voc.py`, boxes scaled with them) to fit the upload, '
     'so these numbers compare with each other, not to the digit with the '
     'CPU benchmark\'s'),
}

#: Table 2 rows: (label, registry key, score_mode used at test time).
ABLATION_ROWS = [
    ('base features + direct + L2 + product', 'abl1', 'product'),
    ('+ RF', 'abl2', 'product'),
    ('+ C2F', 'abl3', 'product'),
    ('+ Sharp-L2', 'led', 'product'),
    ('+ Gaussian (full LED)', 'led', 'gaussian'),
]
#: LE scoring grid evaluated on val (LED trained on train.txt).
SWEEP_LAMBDAS = (0.4, 0.6, 0.8, 1.0)
SWEEP_SIGMAS = (0.5, 1.0, 2.0)
#: Exponents ``a`` of score_mode 'power' (``cls ** (1 - a) * loc ** a``,
#: IoU-aware RetinaNet's form) in the val sweep.
SWEEP_POWERS = (0.25, 0.5, 0.75)
#: What score_thr is compared with (LEDHead test_cfg.score_thr_on).
SWEEP_THR_ON = ('conf', 'cls')
#: What a val sweep ranks its cells by: the CPU pair's headline metrics,
#: and the FPN heads' (whose targets are on COCO-style AP).
SWEEP_METRICS = ('mAP50', 'AP70')
HEADS_SWEEP_METRICS = ('AP', 'AP75')
SCORE_MODES = ('cls', 'product', 'gaussian')
#: Calibration: pre-NMS detections above this score, top-k per image.
CALIB_SCORE_THR = 0.01
CALIB_TOPK = 100
CALIB_BINS = 10
#: Signals correlated with the true IoU: the metric's, in its order.
CALIB_SIGNALS = LocQualityMetric.SIGNALS
FIG1_IMAGES = 4
#: Training seeds of every comparison: five paired seeds, enough at the
#: CPU pair's measured seed SD to resolve the targets' differences (the
#: report's seed planning).
SEEDS = [0, 1, 2, 3, 4]
#: Bootstrap resamples of the test images and their seed.
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 0
#: Minutes of training one run may take on this machine (longer ones are
#: logged and flagged in the report).
RUN_MINUTES_LIMIT = 30
#: Checkpoints per run (for resuming); the final one is always kept.
CHECKPOINTS_PER_RUN = 8
#: Validation at the end of training (the eval part does it anyway).
VALIDATE_DURING_TRAINING = False
SPEED_ARGS = [
    '--pairs', 'vgg16', 'cpu', '--batch-sizes', '1', '8', '--runs', '30',
    '--warmup', '5', '--train-step', '--train-batch', '8', '--train-runs',
    '10', '--train-warmup', '3', '--memory', '--memory-passes', '10',
    '--count-ops'
]
#: --quick: toy data, tiny schedule, own directories.
QUICK = dict(
    toy_images=(24, 8),
    unit=1,
    seeds=[0, 1],
    batch_size=2,
    bootstrap=100,
    speed_args=[
        '--pairs', 'vgg16', 'cpu', '--batch-sizes', '1', '--runs', '3',
        '--warmup', '1', '--train-step', '--train-batch', '2',
        '--train-runs', '2', '--train-warmup', '1', '--memory',
        '--memory-passes', '1', '--count-ops'
    ])
#: Paper's full LED300 recipe, for the machine-constraints paragraph.
PAPER_ITERS, PAPER_BATCH = 240000, 28
STATED_CPU_DAYS = 51
