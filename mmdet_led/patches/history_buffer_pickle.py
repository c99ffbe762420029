"""mmengine 0.10.7: ``HistoryBuffer`` pickles ``getattr`` references.

``HistoryBuffer`` pickles its built-in statistics functions (``min``,
``max``, ...) as ``getattr(HistoryBuffer, 'min')``, so a checkpoint needs
``builtins.getattr`` under torch's weights-only loading. Allowing
``getattr`` would let a checkpoint reach any attribute of any allowed
object, which is the very hole weights-only loading closes, so instead those
built-ins are left out of the pickle (they are class methods every process
has; mmengine's ``__setstate__`` re-registers them) and only user-registered
ones are kept.
"""


def fix_history_buffer_pickling() -> None:
    """Pickle ``HistoryBuffer`` without references to its own methods."""
    from mmengine.logging import HistoryBuffer
    if getattr(HistoryBuffer, '_led_pickle_fix', False):
        return

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state.pop('statistics_methods', None)
        custom = {
            name: method
            for name, method in self._statistics_methods.items()
            if getattr(HistoryBuffer, name, None) is not method
        }
        if custom:
            state['statistics_methods'] = custom
        return state

    HistoryBuffer.__getstate__ = __getstate__
    HistoryBuffer._led_pickle_fix = True
