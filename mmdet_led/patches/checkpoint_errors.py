"""mmengine 0.10.7 reports an unusable checkpoint file without naming it, and
torch >= 2.6 advises turning weights-only loading off.

mmengine's local checkpoint loader (``load_from_local``, used by
``load_from``, ``--resume`` and ``tools/test.py``) passes torch's error on
as it is: a zero-byte file gives a bare ``EOFError``, a truncated one a
miniz error, random bytes an ``UnpicklingError`` whose text recommends
re-running ``torch.load`` with ``weights_only=False``; none names the file,
and the advice is unsafe for a file of unknown origin. This patch registers
a local loader that calls mmengine's own and, when it fails, raises
:class:`CheckpointLoadError` naming the file and saying what is wrong with
it. Nothing is loaded that was refused before: a checkpoint that pickles a
global weights-only loading does not allow is still refused, with advice
that does not turn the check off.
"""
import pickle
import re
import zipfile
from typing import Optional

from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import load_from_local

#: The first bytes of the zip archive ``torch.save`` writes (torch >= 1.6).
ZIP_MAGIC = b'PK\x03\x04'
#: The first byte of a pickle of protocol >= 2 (torch's legacy format).
PICKLE_PROTO = b'\x80'


class CheckpointLoadError(RuntimeError):
    """A checkpoint file that cannot be loaded; the message names it."""


def checkpoint_file_problem(path: str) -> Optional[str]:
    """What is wrong with a checkpoint file, judged from its bytes.

    Args:
        path (str): A local file.

    Returns:
        str | None: A description for an empty file, a truncated zip
        archive or a file that is neither torch format; None if the file
        looks like a checkpoint (the problem is in its content).
    """
    with open(path, 'rb') as f:
        head = f.read(8)
        size = f.seek(0, 2)
    if size == 0:
        return 'the file is empty (0 bytes; an interrupted save or copy?)'
    if head.startswith(ZIP_MAGIC):
        if not zipfile.is_zipfile(path):
            return ('the file is truncated or corrupt: the zip archive that '
                    'torch.save writes has no central directory '
                    f'({size} bytes; an interrupted save or copy?)')
        return None
    if head.startswith(PICKLE_PROTO):
        return None
    return ('the file is not a PyTorch checkpoint: neither the zip archive '
            'torch.save writes nor a legacy pickle '
            f'({size} bytes starting with {head!r})')


def refused_global(err: BaseException) -> Optional[str]:
    """The global that weights-only unpickling refused, if that is ``err``.

    Args:
        err (BaseException): An error raised by ``torch.load``.

    Returns:
        str | None: e.g. ``'posix.system'``, or None.
    """
    if not isinstance(err, pickle.UnpicklingError):
        return None
    found = re.search(r'GLOBAL ([\w.]+)', str(err))
    return found.group(1) if found else None


def load_from_local_file(filename: str, map_location=None):
    """mmengine's ``load_from_local``; errors name the file.

    Args:
        filename (str): Local checkpoint path.
        map_location (str, optional): As for ``torch.load``.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        FileNotFoundError: If the file does not exist (mmengine's error).
        CheckpointLoadError: If it cannot be loaded, naming it and why.
    """
    try:
        return load_from_local(filename, map_location)
    except FileNotFoundError:
        raise
    except Exception as err:
        problem = checkpoint_file_problem(filename)
        name = refused_global(err)
        if problem is None and name is not None:
            problem = (
                f'refused: it pickles {name}, which weights-only loading '
                'does not allow because unpickling it can run code stored '
                'in the file. Do not turn weights_only off for a file you '
                'did not make; if you trust its source and it is a plain '
                'data class, allow exactly that one with '
                'torch.serialization.add_safe_globals')
        elif problem is None:
            first = str(err).strip().splitlines()[0] if str(err) else ''
            problem = f'{type(err).__name__}: {first}'
        raise CheckpointLoadError(
            f'cannot load checkpoint {filename}: {problem}') from err


def name_checkpoint_errors() -> None:
    """Make ``load_from_local_file`` MMEngine's loader of local paths."""
    if CheckpointLoader._schemes.get('') is not load_from_local_file:
        CheckpointLoader.register_scheme(
            prefixes='', loader=load_from_local_file, force=True)
