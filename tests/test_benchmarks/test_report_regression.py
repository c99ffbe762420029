"""Regression guard: the committed result JSONs regenerate the committed
``summary.json`` and README unchanged but for the commit and the generation
time (``tools/benchmark.py --report-only`` into a copy), for the CPU
benchmark (``benchmarks/``) and the comparisons of heads
(``benchmarks/heads/``, ``benchmarks/heads_atss/``)."""
import json
import shutil

import pytest

from conftest import REPO

from benchmarks.harness.cli import bench_from_args, parse_args
from benchmarks.harness.heads_report import write_heads_report
from benchmarks.harness.registry import COMPARISONS
from benchmarks.harness.report import write_report

BENCH = REPO / 'benchmarks'


def _stamp(path) -> str:
    """The README's 'Commit `<hash>`, <time>.' of a summary.json."""
    summary = json.loads(path.read_text())
    return f'Commit `{summary["commit"][:12]}`, {summary["generated"]}.'


pytestmark = pytest.mark.slow  # renders every plot: ~15 s


def regenerate(tmp, src, argv, write) -> None:
    """--report-only (``argv``) into a copy of ``src``'s results (and
    figures), with the runs' checkpoints and raw outputs present (as on the
    machine that ran them; empty placeholders, which only their existence
    is checked of)."""
    shutil.copytree(src / 'results', tmp / 'results')
    if (src / 'figures').is_dir():
        shutil.copytree(src / 'figures', tmp / 'figures')
    root = tmp / 'root'
    for res in (tmp / 'results').glob('*_s[0-9]*.json'):
        data = json.loads(res.read_text())
        for key in ('checkpoint', 'raw_outputs'):
            if data.get(key):
                (root / data[key]).parent.mkdir(parents=True, exist_ok=True)
                (root / data[key]).touch()
    bench = bench_from_args(
        parse_args(argv + ['--report-only', '--results-dir',
                           str(tmp / 'results')]))
    bench.root = str(root)
    assert bench.readme == str(tmp / 'README.md')
    write(bench)


@pytest.fixture(scope='module', params=['cpu', 'heads', 'heads-atss'])
def regenerated(request, tmp_path_factory):
    """(committed report folder, regenerated copy) of each benchmark."""
    tmp = tmp_path_factory.mktemp('report')
    if request.param == 'cpu':
        regenerate(tmp, BENCH, [], write_report)
        return BENCH, tmp
    src = BENCH / COMPARISONS[request.param]['folder']
    regenerate(tmp, src, ['--registry', request.param], write_heads_report)
    return src, tmp


def test_summary_regenerates_unchanged(regenerated):
    src, tmp = regenerated
    old = json.loads((src / 'results' / 'summary.json').read_text())
    new = json.loads((tmp / 'results' / 'summary.json').read_text())
    assert new['commit'] and new['generated']
    for summary in (old, new):
        summary.pop('commit')
        summary.pop('generated')
    assert new == old
    if src == BENCH:
        assert set(new['parts'].values()) == {'done'}


def test_readme_regenerates_unchanged(regenerated):
    src, tmp = regenerated
    old = (src / 'README.md').read_text()
    stamp = _stamp(src / 'results' / 'summary.json')
    assert stamp in old
    old = old.replace(stamp, _stamp(tmp / 'results' / 'summary.json'))
    assert (tmp / 'README.md').read_text() == old
