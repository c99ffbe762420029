"""tools/eval_kitti.py says when result files do not match the evaluated
ids instead of silently reporting AP 0."""
import pytest

from conftest import load_tool
from mmdet_led.datasets.kitti_utils import format_kitti_result_line

eval_kitti = load_tool('eval_kitti')

GT = 'Car 0.00 0 0 100.00 100.00 200.00 200.00 1.5 1.6 3.9 1 2 30 0\n'
DET = format_kitti_result_line('Car', (100, 100, 200, 200), 0.9) + '\n'


def folders(tmp_path, results: dict):
    gt, res = tmp_path / 'label_2', tmp_path / 'results'
    gt.mkdir()
    res.mkdir()
    for i in ('000001', '000002'):
        (gt / f'{i}.txt').write_text(GT)
    for name, text in results.items():
        (res / name).write_text(text)
    return gt, res


def run(gt, res, capsys) -> tuple:
    results = eval_kitti.main(['--gt-dir', str(gt), '--result-dir', str(res)])
    captured = capsys.readouterr()
    return results, captured.out, captured.err


def test_match_result_files(tmp_path):
    for name in ('000001.txt', '7.txt', '000009.txt', 'notes.md'):
        (tmp_path / name).write_text('')
    matched, ignored = eval_kitti.match_result_files(
        str(tmp_path), ['000001', '000002'])
    assert (matched, ignored) == (['000001'], ['000009.txt', '7.txt'])


def test_result_file_warnings():
    assert eval_kitti.result_file_warnings(['000001'], ['000001'], [],
                                           'r') == []
    lines = eval_kitti.result_file_warnings(
        ['000001', '000002'], [], ['1.txt', '2.txt'], 'r')
    assert lines == [
        '2 result file(s) in r ignored: their ids are not among the 2 '
        'evaluated (1.txt, 2.txt)',
        'no result file in r matches an evaluated id: every image counts '
        'as without detections and every AP is 0; e.g. 1.txt looks like id '
        '000001: name result files exactly like the label files'
    ]


def test_misnamed_result_files_warn(tmp_path, capsys):
    gt, res = folders(tmp_path, {'1.txt': DET, '2.txt': DET})
    results, out, err = run(gt, res, capsys)
    assert results['Car']['moderate']['AP_R40'] == 0.0
    assert 'WARNING: no result file in' in err
    assert 'e.g. 1.txt looks like id 000001' in err
    assert '2 images, 0 result files (2 ignored)' in out


def test_ignored_result_files_are_counted(tmp_path, capsys):
    gt, res = folders(tmp_path, {
        '000001.txt': DET,
        '000002.txt': DET,
        '000003.txt': DET
    })
    results, out, err = run(gt, res, capsys)
    # both objects found exactly, at score 0.9: the devkit's thresholds
    # (get_thresholds) step one sampled recall point (of 41) per detection,
    # so precision 1 fills points 0 and 1 only: R40 (points 1-40) 1 / 40,
    # R11 (points 0, 4, ..., 40) 1 / 11
    for level in ('easy', 'moderate', 'hard'):
        assert results['Car'][level]['AP_R40'] == pytest.approx(100 / 40)
        assert results['Car'][level]['AP_R11'] == pytest.approx(100 / 11)
    assert err.strip() == (
        f'WARNING: 1 result file(s) in {res} ignored: their ids are not '
        'among the 2 evaluated (000003.txt)')
    assert '2 images, 2 result files (1 ignored)' in out


def test_matching_result_files_are_quiet(tmp_path, capsys):
    gt, res = folders(tmp_path, {'000001.txt': DET})
    _, out, err = run(gt, res, capsys)
    assert err == ''
    assert '2 images, 1 result files (0 ignored)' in out
