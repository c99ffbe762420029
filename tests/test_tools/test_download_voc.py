"""tools/download_voc.py stops before downloading when data/VOCdevkit is a
link (the shared subset): extraction would not write through it."""
import pytest

from conftest import load_tool

download_voc = load_tool('download_voc')


def test_stops_on_a_linked_devkit(tmp_path):
    shared = tmp_path / 'shared' / 'VOCdevkit'
    shared.mkdir(parents=True)
    out = tmp_path / 'data'
    out.mkdir()
    assert download_voc.linked_target(str(out)) is None
    (out / 'VOCdevkit').symlink_to(shared)
    with pytest.raises(SystemExit) as info:
        download_voc.main(['--out', str(out), '--years', '2007'])
    assert str(info.value) == (
        f'download_voc: {out}/VOCdevkit is a link to {shared}; extraction '
        f'does not write through links: remove the link (rm '
        f'{out}/VOCdevkit) to download into {out}, or pass --out with the '
        f'folder that holds {shared}')
    assert not (out / 'downloads').exists()  # nothing fetched
