"""benchmarks/loc_quality_headroom.md: its tables are what the committed
JSONs give, and the tool's LE rows are the LED-ATSS comparison's own test
metrics for the same checkpoints."""
import json

import pytest

from conftest import REPO

from benchmarks.harness.headroom import RESULTS, headroom_tables, load

REPORT = REPO / 'benchmarks' / 'loc_quality_headroom.md'


def test_report_holds_the_tables_of_the_jsons():
    assert headroom_tables() in REPORT.read_text()


@pytest.mark.parametrize('seed', range(5))
def test_le_rows_equal_the_comparisons_evaluation(seed):
    run = load(RESULTS)[f'led-atss_s{seed}']
    row = next(r for r in run['aps']
               if r['ranking'] == 'LE estimates, gaussian')
    evaluated = json.loads(
        (REPO / 'benchmarks' / 'heads_atss' / 'results' /
         f'eval_led-atss_s{seed}.json').read_text())
    assert run['checkpoint'] == evaluated['checkpoint']
    assert run['test_cfg']['score_mode'] == 'gaussian'
    for key in ('mAP50', 'AP70', 'AP'):
        assert row[key] == round(evaluated['metrics'][key], 2)
