"""Regression guard: the committed result JSONs regenerate the committed
``summary.json`` and ``benchmarks/README.md`` unchanged but for the commit
and the generation time (``tools/benchmark.py --report-only`` into a copy)."""
import json
import shutil

import pytest

from conftest import REPO

from benchmarks.harness.cli import bench_from_args, parse_args
from benchmarks.harness.report import write_report

BENCH = REPO / 'benchmarks'


def _stamp(path) -> str:
    """The README's 'Commit `<hash>`, <time>.' of a summary.json."""
    summary = json.loads(path.read_text())
    return f'Commit `{summary["commit"][:12]}`, {summary["generated"]}.'


pytestmark = pytest.mark.slow  # renders every plot: ~15 s


@pytest.fixture(scope='module')
def regenerated(tmp_path_factory):
    """--report-only into a copy of the results and figures, with the runs'
    checkpoints and raw outputs present (as on the machine that ran them;
    empty placeholders, which only their existence is checked of)."""
    tmp = tmp_path_factory.mktemp('report')
    shutil.copytree(BENCH / 'results', tmp / 'results')
    shutil.copytree(BENCH / 'figures', tmp / 'figures')
    root = tmp / 'root'
    for res in (tmp / 'results').glob('*_s[0-9]*.json'):
        data = json.loads(res.read_text())
        for key in ('checkpoint', 'raw_outputs'):
            if data.get(key):
                (root / data[key]).parent.mkdir(parents=True, exist_ok=True)
                (root / data[key]).touch()
    bench = bench_from_args(
        parse_args(['--report-only', '--results-dir', str(tmp / 'results')]))
    bench.root = str(root)
    assert bench.readme == str(tmp / 'README.md')
    write_report(bench)
    return tmp


def test_summary_regenerates_unchanged(regenerated):
    old = json.loads((BENCH / 'results' / 'summary.json').read_text())
    new = json.loads((regenerated / 'results' / 'summary.json').read_text())
    assert new['commit'] and new['generated']
    for summary in (old, new):
        summary.pop('commit')
        summary.pop('generated')
    assert new == old
    assert set(new['parts'].values()) == {'done'}


def test_readme_regenerates_unchanged(regenerated):
    old = (BENCH / 'README.md').read_text()
    stamp = _stamp(BENCH / 'results' / 'summary.json')
    assert stamp in old
    old = old.replace(stamp, _stamp(regenerated / 'results' / 'summary.json'))
    assert (regenerated / 'README.md').read_text() == old
