"""The val sweep's grid and its 'power' check (benchmarks.harness.analyses
.sweep), and how the report shows them, on constructed grids."""
from harness_fixtures import fixture_results

from benchmarks.harness.analyses.sweep import (best_cell, power_check,
                                               power_rule, sweep_variants)
from benchmarks.harness.registry import (SWEEP_LAMBDAS, SWEEP_POWERS,
                                         SWEEP_SIGMAS, SWEEP_THR_ON)
from benchmarks.harness.report import render_report
from benchmarks.harness.summary import make_summary


def test_grid_has_every_power_cell():
    variants = sweep_variants()
    per_thr = len(SWEEP_LAMBDAS) * (1 + len(SWEEP_SIGMAS) + len(SWEEP_POWERS))
    assert len(variants) == 1 + len(SWEEP_THR_ON) * per_thr
    power = [v for v in variants if v['score_mode'] == 'power']
    assert {(v['loc_lambda'], v['loc_power'], v['score_thr_on'])
            for v in power} == {(lam, a, t) for lam in SWEEP_LAMBDAS
                                for a in SWEEP_POWERS for t in SWEEP_THR_ON}


def test_grid_on_one_threshold_side():
    """The heads' sweep: the config's score_thr_on only, cls first."""
    variants = sweep_variants(('cls', ))
    assert variants[0] == dict(score_mode='cls', score_thr_on='cls')
    per_thr = len(SWEEP_LAMBDAS) * (1 + len(SWEEP_SIGMAS) + len(SWEEP_POWERS))
    assert len(variants) == 1 + per_thr
    assert {v['score_thr_on'] for v in variants} == {'cls'}


def test_power_rule_names_the_metrics():
    assert power_rule() == (
        "'power' helps if its best cell's val mAP@0.5 is above the best "
        "gaussian cell's and its val AP@0.7 is not below it (score_thr on "
        "the config's side)")
    assert 'val AP is above' in power_rule(('AP', 'AP75'))


def cell(mode, map50, ap70, thr_on='cls', **kw):
    return dict(score_mode=mode, score_thr_on=thr_on, mAP50=map50,
                AP70=ap70, AP=0.0, loc_lambda=0.6, **kw)


def test_power_check_rule():
    gauss = [cell('gaussian', 24.0, 10.0, loc_sigma=1.0),
             cell('gaussian', 23.0, 12.0, loc_sigma=2.0)]
    # higher mAP@0.5 and equal AP@0.7: helps
    grid = gauss + [cell('power', 24.5, 10.0, loc_power=0.5),
                    cell('power', 30.0, 20.0, 'conf', loc_power=0.5)]
    check = power_check(grid, 'cls')
    assert check['power_helps']
    assert check['best_power']['mAP50'] == 24.5  # the 'conf' cell not seen
    assert check['best_gaussian']['loc_sigma'] == 1.0
    # higher mAP@0.5 but lower AP@0.7: does not help; a tie does not either
    assert not power_check(
        gauss + [cell('power', 24.5, 9.9, loc_power=0.5)], 'cls')[
            'power_helps']
    assert not power_check(
        gauss + [cell('power', 24.0, 10.0, loc_power=0.5)], 'cls')[
            'power_helps']


def test_report_states_the_power_answer():
    results = fixture_results()
    grid = results['sweep']['grid']
    grid.append(cell('power', 19.0, 10.0, 'conf', loc_power=0.25))
    results['sweep']['power'] = power_check(
        [dict(g, score_thr_on=g.get('score_thr_on', 'conf')) for g in grid],
        'conf')
    text = render_report(results, make_summary(results, [0, 1, 2], 'abc'),
                         {}, [], [0, 1, 2], recipe=results['recipe_search'])
    assert '| power | conf | 0.6 | 0.25 | 19.00 | 10.00 | 0.00 |' in text
    assert 'a = 0.25: 19.00 / 10.00' in text
    assert '**It does not help** on val' in text


def test_best_cell_of_any_mode_ranks_by_the_given_metrics():
    grid = [cell('cls', 20.0, 9.0), cell('gaussian', 24.0, 10.0),
            cell('power', 23.0, 12.0), cell('product', 24.0, 10.0)]
    # by mAP@0.5 then AP@0.7: gaussian and product tie, the earlier wins
    assert best_cell(grid, None, 'cls')['score_mode'] == 'gaussian'
    # by AP@0.7 first: power
    assert best_cell(grid, None, 'cls',
                     ('AP70', 'mAP50'))['score_mode'] == 'power'
    # above on AP@0.7 but below on mAP@0.5: does not help
    check = power_check(grid, 'cls', ('AP70', 'mAP50'))
    assert not check['power_helps'] and 'val AP@0.7 is above' in check['rule']
