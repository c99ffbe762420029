"""``benchmarks/README.md`` from the result JSONs.

:func:`report_context` turns the results into the numbers and table rows
of the report; ``templates/report.md.j2`` holds its text. Tables are
compact GitHub pipe tables made by ``tabulate`` (cells unpadded, so a long
column, like the recipe search's notes, does not pad every row).
"""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .common import ROOT, mean_or_none, read_json, write_json
from .figures import (plot_accuracy, plot_calibration, plot_recipe,
                      plot_scoring, plot_sweep, recipe_entries)
from .registry import (CALIB_SIGNALS, PAPER_BATCH, PAPER_ITERS,
                       RUN_MINUTES_LIMIT, STATED_CPU_DAYS)
from .seed_planning import paired_differences
from .summary import load_results, make_summary, runs_by_model

TEMPLATES = osp.join(osp.dirname(osp.abspath(__file__)), 'templates')
#: Cell of a missing number.
MISSING = '—'


def fmt(x: Any, nd: int = 2, sign: bool = False) -> str:
    """A number with ``nd`` decimals (``sign``: always signed); strings as
    they are; None as :data:`MISSING`."""
    if x is None:
        return MISSING
    if isinstance(x, str):
        return x
    return f'{x:+.{nd}f}' if sign else f'{x:.{nd}f}'


def interval(ci: Sequence[float]) -> str:
    """A signed ``[low, high]`` interval."""
    return '[{}, {}]'.format(fmt(ci[0], sign=True), fmt(ci[1], sign=True))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A compact GitHub pipe table: ``| a | b |`` rows, ``|---|---|`` rule."""
    from tabulate import DataRow, TableFormat, tabulate
    row = DataRow('| ', ' | ', ' |')
    compact = TableFormat(
        lineabove=None,
        linebelowheader=lambda widths, aligns: '|' + '|'.join(
            '---' for _ in widths) + '|',
        linebetweenrows=None,
        linebelow=None,
        headerrow=row,
        datarow=row,
        padding=0,
        with_header_hide=None)
    return tabulate([[str(c) for c in r] for r in rows], [str(h) for h in
                                                          header],
                    tablefmt=compact, stralign=None, numalign=None,
                    disable_numparse=True)


def target_row(target: dict) -> List[str]:
    """A targets-table row: name, required, measured (3 decimals for
    correlations and latency ratios), status (met and missed in bold),
    note."""
    name = target['name']
    digits = 3 if 'corr' in name or 'latency' in name else 2
    status = target['status']
    return [
        name, target['target'],
        fmt(target['measured'], digits),
        f'**{status}**' if status in ('met', 'missed') else status,
        target['note']
    ]


def cell(value: Any) -> str:
    """A recipe-search value as one table cell."""
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f'{value:.2f}'
    if isinstance(value, (dict, list)):
        return '`' + json.dumps(value, separators=(',', ':')) + '`'
    return str(value).replace('|', '\\|').replace('\n', ' ')


def led_or_ssd(results: Dict[str, dict], part: str,
               seed: int) -> Optional[dict]:
    """The ``part`` ('train'/'eval') result of seed ``seed``'s LED run, else
    of its SSD run (both use the same data and schedule)."""
    return (results.get(f'{part}_led_s{seed}')
            or results.get(f'{part}_ssd_s{seed}'))


def data_note(results: Dict[str, dict], seeds: Sequence[int]) -> str:
    """' (training: N images of ...; test: M images of ...)' or ''."""
    for s in seeds:
        tr = led_or_ssd(results, 'train', s)
        ev = led_or_ssd(results, 'eval', s)
        if tr and ev and tr.get('train_images'):
            return (f' (training: {tr["train_images"]} images of '
                    f'`{tr["settings"]["train_split"]}`; test: '
                    f'{ev["num_images"]} images of `{ev["ann_file"]}`)')
    return ''


def schedule_note(results: Dict[str, dict], seeds: Sequence[int]) -> str:
    """'N iterations at batch B, about E epochs of M images' of the runs."""
    for s in seeds:
        tr = led_or_ssd(results, 'train', s)
        if not (tr and tr.get('max_iters') and tr.get('train_images')):
            continue
        batch = tr.get('batch_size')
        dumped = osp.join(ROOT, tr.get('config_dumped') or '')
        if not batch and osp.isfile(dumped):  # results without the field
            from mmengine.config import Config
            batch = Config.fromfile(dumped).train_dataloader.batch_size
        if not batch:
            return f'{tr["max_iters"]} iterations'
        epochs = tr['max_iters'] * batch / tr['train_images']
        return (f'{tr["max_iters"]} iterations at batch {batch}, about '
                f'{epochs:.0f} epochs of {tr["train_images"]} images')
    return 'a short CPU schedule'


def cpu_days(results: Dict[str, dict]) -> Optional[float]:
    """Paper recipe duration from the measured VGG16 LED training step."""
    speed = (results.get('speed') or {}).get('speed', {})
    try:
        t = speed['pairs']['vgg16']['train_step']
    except (KeyError, TypeError):
        return None
    if 'cpu' not in speed.get('device', 'cpu'):
        return None
    per_image = t['led']['step_ms'] / 1000 / t['batch']
    return per_image * PAPER_BATCH * PAPER_ITERS / 86400


def accuracy_rows(results: Dict[str, dict],
                  seeds: Sequence[int]) -> List[list]:
    """Per model and seed mAP@0.5, AP@0.7, AP, minutes, iterations; then
    the seed mean of each model."""
    rows = []
    for key, label in (('ssd', 'SSD'), ('led', 'LED')):
        evs = runs_by_model(results, key, seeds)
        for s, ev in zip(seeds, evs):
            if ev:
                tr = results.get(f'train_{key}_s{s}', {})
                rows.append([
                    label, s,
                    fmt(ev['metrics']['mAP50']),
                    fmt(ev['metrics']['AP70']),
                    fmt(ev['metrics']['AP']),
                    fmt(tr.get('train_minutes'), 1),
                    tr.get('max_iters', MISSING)
                ])
            else:
                rows.append([label, s] + [MISSING] * 4 + ['not run'])
        done = [ev for ev in evs if ev]
        if done:
            rows.append([f'**{label} mean** ({len(done)} seeds)', ''] + [
                f'**{np.mean([e["metrics"][k] for e in done]):.2f}**'
                for k in ('mAP50', 'AP70', 'AP')
            ] + ['', ''])
    return rows


def per_class_rows(results: Dict[str, dict],
                   seeds: Sequence[int]) -> List[list]:
    """Per class the seed-mean AP@0.5 of SSD and LED and their difference."""
    classes, per_model = None, {}
    for key in ('ssd', 'led'):
        evs = [ev for ev in runs_by_model(results, key, seeds) if ev]
        if evs:
            classes = list(evs[0]['per_class_AP50'])
            per_model[key] = {
                c: mean_or_none([ev['per_class_AP50'][c] for ev in evs])
                for c in classes
            }
    rows = []
    for c in classes or []:
        s = per_model.get('ssd', {}).get(c)
        led = per_model.get('led', {}).get(c)
        d = None if s is None or led is None else led - s
        rows.append([c, fmt(s), fmt(led), fmt(d, sign=True)])
    return rows


def scoring_rows(scoring: dict) -> List[list]:
    """Per LED run (then the seed mean) 'mAP@0.5 / AP@0.7' per variant."""
    names = list(scoring['mean'])

    def pair(vals, bold=''):
        return [f'{bold}{fmt(vals[n]["mAP50"])} / {fmt(vals[n]["AP70"])}'
                f'{bold}' for n in names]

    return [[run] + pair(vals) for run, vals in scoring['per_seed'].items()
            ] + [['**mean**'] + pair(scoring['mean'], '**')]


def sweep_rows(sweep: dict) -> List[list]:
    """One row per grid cell of the val sweep."""
    return [[
        g['score_mode'],
        MISSING if g['score_mode'] == 'cls' else g.get('score_thr_on',
                                                       'conf'),
        g.get('loc_lambda', MISSING),
        g.get('loc_sigma', g.get('loc_power', MISSING)),
        fmt(g['mAP50']),
        fmt(g['AP70']),
        fmt(g['AP'])
    ] for g in sweep['grid']]


def ablation_rows(abl: dict) -> List[list]:
    """The SSD reference row (if any), then Table 2's rows."""
    rows = [[
        r['row'], r.get('run') or MISSING, r['score_mode'],
        fmt(r.get('mAP50')),
        fmt(r.get('AP70')),
        fmt(r.get('AP'))
    ] for r in abl['rows']]
    if abl.get('ssd'):
        s = abl['ssd']
        rows.insert(0, [s['row'], s['run'], 'cls', fmt(s['mAP50']),
                        fmt(s['AP70']), fmt(s['AP'])])
    return rows


def calibration_rows(calib: dict) -> List[list]:
    """Per LED signal (and SSD's conf_cls) its correlations with the IoU."""
    rows = []
    runs = calib['per_run']
    for s in CALIB_SIGNALS:
        m = calib['mean_led'].get(s, {})
        per = [
            fmt(v['correlations'][s]['pearson'], 3) for v in runs.values()
            if v['model'] == 'led' and s in v['correlations']
        ]
        rows.append([f'LED {s}', fmt(m.get('pearson'), 3),
                     fmt(m.get('spearman'), 3), ', '.join(per)])
    m = calib['mean_led'].get('ssd_conf_cls', {})
    if m.get('pearson') is not None:
        rows.append([
            'SSD conf_cls (reference)',
            fmt(m.get('pearson'), 3),
            fmt(m.get('spearman'), 3), ', '.join(
                fmt(v['correlations']['conf_cls']['pearson'], 3)
                for v in runs.values() if v['model'] == 'ssd')
        ])
    return rows


def speed_rows(speed: dict) -> Tuple[List[list], List[list]]:
    """Latency rows and cost rows (LE size, ops, train step, memory)."""
    latency, cost = [], []
    for pair, e in speed['pairs'].items():
        for b, t in e['batches'].items():
            latency.append([
                pair, b,
                f'{t["ssd"]["net_ms"]:.1f} / {t["ssd"]["full_ms"]:.1f}',
                f'{t["led"]["net_ms"]:.1f} / {t["led"]["full_ms"]:.1f}',
                fmt(t['ratio_net'], 3), f'**{t["ratio_full"]:.3f}**'
            ])
    for pair, e in speed['pairs'].items():
        t = e.get('train_step')
        mem = e.get('memory', {})
        p = e['params']
        ops = e.get('ops')
        ops_cell = ' / '.join(
            f'{ops["ssd"][k]["compute"]} -> {ops["led"][k]["compute"]}'
            for k in ('head_forward', 'post')) if ops else MISSING
        cost.append([
            pair,
            f'{p["le_module"] / 1e6:.2f} M of {p["led"] / 1e6:.2f} M',
            f'{e["gmacs"]["le_module"]:.3f} of {e["gmacs"]["led"]:.2f}',
            ops_cell,
            (f'{t["ssd"]["step_ms"]:.0f} / {t["led"]["step_ms"]:.0f} ms '
             f'(batch {t["batch"]}): **{t["ratio"]:.3f}**') if t else MISSING,
            '; '.join(
                f'b{b}: {m["ssd"][m["metric"]]:.0f} / '
                f'{m["led"][m["metric"]]:.0f} MiB ({m["ratio"]:.3f})'
                for b, m in mem.items()) or MISSING
        ])
    return latency, cost


def recipe_table(recipe: Any) -> Tuple[Optional[list], List[list], list]:
    """Header, rows and extra ``(key, value)`` lines of the recipe search."""
    entries = recipe_entries(recipe)
    if not entries:
        return None, [], []
    keys = []
    for e in entries:
        keys += [k for k in e if k != 'curve' and k not in keys]
    extra = []
    if isinstance(recipe, dict) and len(entries) > 1:
        extra = [(k, cell(v)) for k, v in recipe.items()
                 if k not in ('entries', 'runs', 'candidates')]
    return keys, [[cell(e.get(k)) for k in keys] for e in entries], extra


def training_rows(results: Dict[str, dict]) -> List[list]:
    """One row per finished training run, by name."""
    rows = []
    for name, res in sorted(results.items()):
        if not name.startswith('train_'):
            continue
        ev = results.get('eval_' + name[len('train_'):], {})
        init = res.get('init_from')
        rows.append([
            res['run'], res['config'], res['seed'], res['max_iters'],
            f'{init} at {res["init_iter"]}' if init else MISSING,
            fmt(res['train_minutes'], 1) +
            (f' **(> {RUN_MINUTES_LIMIT})**'
             if res['train_minutes'] > RUN_MINUTES_LIMIT else ''),
            len(res.get('sessions', [])), f'`{res["checkpoint"]}`',
            ev.get('split', MISSING)
        ])
    return rows


def optional_interval(ci: Optional[Sequence[float]]) -> str:
    """:func:`interval`, or :data:`MISSING` for None."""
    return MISSING if ci is None else interval(ci)


def led_ssd_rows(results: Dict[str, dict], summary: dict,
                 seeds: Sequence[int]) -> List[List[str]]:
    """LED - SSD per metric: the per-seed differences (paired by seed),
    their mean and SD, the two-level and per-image 95% intervals, and the
    seeds needed for the target (at the SD and at its 95% upper bound)."""
    ci = (results.get('ci') or {}).get('differences', {})
    plans = summary.get('seed_planning') or {}
    rows = []
    for metric in ('mAP50', 'AP70', 'AP'):
        diffs = paired_differences(results, seeds, metric)
        entry = ci.get(f'led-ssd/{metric}')
        if not diffs and not entry:
            continue
        vals = list(diffs.values())
        plan = plans.get(metric)

        def needed(key):
            if not plan or key not in plan:
                return MISSING
            return '{sd} ({sd_upper95})'.format(**plan[key])

        rows.append([
            metric,
            ', '.join(f's{s} {fmt(d, sign=True)}' for s, d in diffs.items())
            or MISSING,
            fmt(float(np.mean(vals)) if vals else None, sign=True),
            fmt(float(np.std(vals, ddof=1)) if len(vals) > 1 else None),
            optional_interval((entry or {}).get('ci95_two_level')),
            optional_interval((entry or {}).get('ci95')),
            fmt(plan['effect'], 1, sign=True) if plan else MISSING,
            needed('seeds_for_half_width'),
            needed('seeds_for_power80'),
        ])
    return rows


def machines(results: Dict[str, dict]) -> List[str]:
    """The distinct machines (``env``) the training runs recorded, with
    their number of runs."""
    from mmdet_led.utils.env_info import env_summary
    counts: Dict[str, int] = {}
    for name, res in sorted(results.items()):
        if name.startswith('train_') and res.get('env'):
            line = env_summary(res['env'])
            counts[line] = counts.get(line, 0) + 1
    return [f'{line} ({n} runs)' for line, n in counts.items()]


def report_context(results: Dict[str, dict],
                   summary: dict,
                   figures: Dict[str, str],
                   statuses: List[Tuple[str, str, str]],
                   seeds: Sequence[int],
                   recipe: Any = None,
                   quick: bool = False,
                   results_rel: str = 'results',
                   setting: Optional[Tuple[str, str]] = None) -> dict:
    """Everything the template shows, computed from the results."""
    ci = (results.get('ci') or {}).get('differences', {})
    its = summary.get('iterations') or {}
    speed = (results.get('speed') or {}).get('speed')
    train = training_rows(results)
    recipe_keys, recipe_rows, recipe_extra = recipe_table(recipe)
    return dict(
        results=results,
        summary=summary,
        figures=figures,
        quick=quick,
        results_rel=results_rel,
        setting=setting,
        commit=(summary.get('commit') or 'unknown')[:12],
        data_note=data_note(results, seeds),
        schedule_note=schedule_note(results, seeds),
        cpu_days=cpu_days(results),
        paper=dict(kiters=PAPER_ITERS // 1000, batch=PAPER_BATCH,
                   cpu_days=STATED_CPU_DAYS),
        run_minutes_limit=RUN_MINUTES_LIMIT,
        targets=[target_row(t) for t in summary['targets']],
        accuracy=accuracy_rows(results, seeds),
        iterations=(its.get('ssd') and its.get('led')) and dict(
            ssd=its['ssd'], led=its['led'],
            equal=its['ssd'] == its['led'] and len(its['ssd']) == 1),
        led_ssd=led_ssd_rows(results, summary, seeds),
        machines=machines(results),
        per_class=per_class_rows(results, seeds),
        scoring_ci=[[
            k.split('/')[0], k.split('/')[1],
            fmt(v['estimate'], sign=True),
            optional_interval(v.get('ci95_two_level')),
            interval(v['ci95'])
        ] for k, v in ci.items() if not k.startswith('led-ssd/')],
        scoring_rows=results.get('scoring') and scoring_rows(
            results['scoring']),
        sweep_rows=results.get('sweep') and sweep_rows(results['sweep']),
        calibration=results.get('calibration') and calibration_rows(
            results['calibration']),
        ablation_rows=results.get('ablation') and ablation_rows(
            results['ablation']),
        speed=speed,
        speed_rows=speed_rows(speed) if speed else None,
        recipe_keys=recipe_keys,
        recipe_rows=recipe_rows,
        recipe_extra=recipe_extra,
        training=train,
        any_init=any(r[4] != MISSING for r in train),
        first_train=next((r for n, r in sorted(results.items())
                          if n.startswith('train_')), None),
        statuses=[[n, s, d.replace('|', '/')] for n, s, d in statuses])


def _oneline(text: str) -> str:
    """Join a wrapped template paragraph into one line."""
    return ' '.join(line.strip() for line in text.strip().split('\n'))


def render(template: str, **context: Any) -> str:
    """``templates/<template>`` rendered with ``context`` (pure: no I/O);
    ``table`` and the ``oneline`` filter are there for every template."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters['oneline'] = _oneline
    env.globals['table'] = table
    return env.get_template(template).render(**context)


def render_report(*args, **kwargs) -> str:
    """The report text (pure: no I/O); arguments of :func:`report_context`.

    ``setting``: (title suffix, constraints paragraph) of a setting other
    than the CPU recipe's (:data:`~.registry.REGISTRY_SETTINGS`).
    """
    return render('report.md.j2', **report_context(*args, **kwargs))


def write_report(bench: Any) -> dict:
    """Rewrite summary.json, the figures and the README; return summary."""
    results = load_results(bench.results_dir)
    summary = make_summary(results, bench.seeds, bench.commit['commit'])
    summary['quick'] = bench.quick
    statuses = [(n, *bench.status(n)) for n in bench.parts]
    summary['parts'] = {n: s for n, s, _ in statuses}
    write_json(osp.join(bench.results_dir, 'summary.json'), summary)
    os.makedirs(bench.figures_dir, exist_ok=True)
    readme_dir = osp.dirname(osp.abspath(bench.readme))
    figures = {}

    def path(name):
        return osp.join(bench.figures_dir, f'{name}.png')

    def fig(name, ok):
        if ok:
            figures[name] = osp.relpath(path(name), readme_dir)

    fig('accuracy', plot_accuracy(summary, path('accuracy')))
    fig('scoring', plot_scoring(results.get('scoring'), path('scoring')))
    fig('sweep', plot_sweep(results.get('sweep'), path('sweep')))
    fig('calibration',
        plot_calibration(results.get('calibration'), path('calibration')))
    if osp.isfile(path('fig1_examples')) and results.get('calibration'):
        figures['fig1'] = osp.relpath(path('fig1_examples'), readme_dir)
    recipe = read_json(osp.join(bench.results_dir, 'recipe_search.json'))
    if recipe is None:
        recipe = read_json(
            osp.join(ROOT, 'benchmarks', 'results', 'recipe_search.json'))
    fig('recipe', plot_recipe(recipe, path('recipe')))
    text = render_report(
        results,
        summary,
        figures,
        statuses,
        bench.seeds,
        recipe=recipe,
        quick=bench.quick,
        results_rel=osp.relpath(bench.results_dir, readme_dir),
        setting=bench.setting)
    with open(bench.readme, 'w') as fh:
        fh.write(text)
    return summary
