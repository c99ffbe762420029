"""The report's PNG plots (matplotlib, Agg backend); each returns False
when its results are missing, so the report leaves the figure out."""
from typing import Any, List

import numpy as np


def _plt():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_accuracy(summary: dict, path: str) -> bool:
    """SSD vs LED per metric: bars = seed means, dots = seeds."""
    plt = _plt()
    metrics = ('mAP50', 'AP70', 'AP')
    if not any(
            summary[m][k] and any(v is not None for v in summary[m][k])
            for m in ('ssd', 'led') for k in metrics):
        return False
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for j, (model, color) in enumerate((('ssd', '#377eb8'), ('led',
                                                              '#e41a1c'))):
        for i, k in enumerate(metrics):
            vals = [v for v in (summary[model][k] or []) if v is not None]
            if not vals:
                continue
            x = i + (j - 0.5) * 0.35
            ax.bar(
                x,
                np.mean(vals),
                0.33,
                color=color,
                alpha=0.5,
                label=model.upper() if i == 0 else None)
            ax.plot([x] * len(vals), vals, 'o', color=color, ms=4)
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels(
        ['mAP@0.5 (11-pt)', 'AP@0.7 (11-pt)', 'AP@[.5:.95] (all-pt)'])
    ax.set_ylabel('AP (%)')
    ax.set_title('VOC2007 test: bars = mean over seeds, dots = seeds')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_scoring(scoring: dict, path: str) -> bool:
    """Score modes on the same LED weights, one line per seed."""
    if not scoring or not scoring.get('per_seed'):
        return False
    plt = _plt()
    names = list(scoring['mean'])
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, k, title in zip(axes, ('mAP50', 'AP70'),
                            ('mAP@0.5 (11-pt)', 'AP@0.7 (11-pt)')):
        for i, n in enumerate(names):
            vals = [v[n][k] for v in scoring['per_seed'].values()]
            ax.bar(i, np.mean(vals), 0.6, color='#bbbbbb')
        for run, v in scoring['per_seed'].items():  # same weights: a line
            ax.plot(range(len(names)), [v[n][k] for n in names], 'o-',
                    ms=4, lw=1, label=run)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=15)
        ax.set_title(title)
        lo = min(min(v[n][k] for n in names)
                 for v in scoring['per_seed'].values())
        hi = max(max(v[n][k] for n in names)
                 for v in scoring['per_seed'].values())
        ax.set_ylim(max(0, lo - 2), hi + 1)
    axes[0].legend(fontsize=7)
    fig.suptitle('same LED weights, scoring modes (bars: seed mean, lines: '
                 'one model each)')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_sweep(sweep: dict, path: str) -> bool:
    """Val mAP@0.5 over the (lambda, sigma) grid of the gaussian mode."""
    if not sweep:
        return False
    plt = _plt()
    thr_on = sweep.get('score_thr_on', 'conf')
    grid = [
        g for g in sweep['grid'] if g['score_mode'] == 'gaussian' and
        g.get('score_thr_on', 'conf') == thr_on
    ]
    lams = sorted({g['loc_lambda'] for g in grid})
    sigs = sorted({g['loc_sigma'] for g in grid})
    mat = np.full((len(sigs), len(lams)), np.nan)
    for g in grid:
        mat[sigs.index(g['loc_sigma']), lams.index(g['loc_lambda'])] = g[
            'mAP50']
    fig, ax = plt.subplots(figsize=(5, 3.2))
    im = ax.imshow(mat, cmap='viridis', aspect='auto')
    for i in range(len(sigs)):
        for j in range(len(lams)):
            ax.text(j, i, f'{mat[i, j]:.2f}', ha='center', va='center',
                    color='w', fontsize=8)
    ax.set_xticks(range(len(lams)))
    ax.set_xticklabels(lams)
    ax.set_yticks(range(len(sigs)))
    ax.set_yticklabels(sigs)
    ax.set_xlabel('lambda')
    ax.set_ylabel('sigma')
    ax.set_title('val mAP@0.5, LE-Gaussian (LED trained on train.txt)',
                 fontsize=9)
    fig.colorbar(im)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_calibration(calib: dict, path: str) -> bool:
    """Reliability curves of the first LED run, with bin counts."""
    if not calib:
        return False
    led = [n for n, v in calib['per_run'].items() if v['model'] == 'led']
    if not led:
        return False
    plt = _plt()
    run = calib['per_run'][led[0]]
    fig, (ax, axc) = plt.subplots(
        2, 1, figsize=(6, 6), sharex=True,
        gridspec_kw=dict(height_ratios=[3, 1.2]))
    ax.plot([0, 1], [0, 1], ':', color='gray', label='ideal')
    styles = dict(
        pred_iou='#e41a1c',
        iou_derived='#ff7f00',
        conf_loc='#984ea3',
        conf_cls='#377eb8',
        conf_final='#4daf4a')
    for name, color in styles.items():
        bins = run['bins'].get(name)
        if not bins:
            continue
        xs = [x for x in bins['mean_pred'] if x is not None]
        ys = [y for y in bins['mean_true'] if y is not None]
        r = run['correlations'][name]['pearson']
        ax.plot(xs, ys, 'o-', color=color, ms=4,
                label=f'{name} (r={r:.2f})' if r is not None else name)
    ax.set_ylabel('mean true IoU in bin')
    ax.set_title(f'{led[0]}: pre-NMS detections, {run["num_dets"]} boxes')
    ax.legend(fontsize=8)
    edges = run['bins']['pred_iou']['edges']
    centers = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2
    width = (edges[1] - edges[0]) * 0.4
    axc.bar(centers - width / 2, run['bins']['pred_iou']['counts'], width,
            color=styles['pred_iou'], label='pred IoU')
    axc.bar(centers + width / 2, run['bins']['conf_cls']['counts'], width,
            color=styles['conf_cls'], label='conf_cls')
    axc.set_ylabel('count')
    axc.set_xlabel('predicted value (bin)')
    axc.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def recipe_entries(recipe: Any) -> List[dict]:
    """The rows of ``recipe_search.json`` (a list, or a dict holding one)."""
    if recipe is None:
        return []
    if isinstance(recipe, dict):
        for key in ('entries', 'runs', 'candidates'):
            if isinstance(recipe.get(key), list):
                return recipe[key]
        return [recipe]
    return list(recipe)


def plot_recipe(recipe: Any, path: str) -> bool:
    """Val mAP@0.5 over training minutes of the recipe-search runs."""
    entries = [e for e in recipe_entries(recipe) if e.get('curve')]
    if not entries:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for e in entries:
        curve = np.asarray(e['curve'], dtype=float)
        ax.plot(curve[:, 0], curve[:, 1], 'o-', ms=3, label=e.get('name'))
    ax.set_xlabel('training minutes')
    ax.set_ylabel('val mAP@0.5 (%)')
    ax.set_title('recipe search (train.txt -> val.txt)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
