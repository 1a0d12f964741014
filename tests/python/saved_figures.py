"""The figures a tool saves, captured in the test's own process: matplotlib's Figure.savefig wrapped for the duration
of a `with`, so that a test can look at what was drawn (legends, axes, title extents) after the tool closed it."""
import contextlib


@contextlib.contextmanager
def saved_figures(on_save=None):
    """Yields a list that gets, for each figure saved inside the `with`, on_save(fig) (called right after the save,
    while the figure is drawn) or the figure itself."""
    import matplotlib.figure
    kept, original = [], matplotlib.figure.Figure.savefig

    def keep(fig, *args, **kwargs):
        result = original(fig, *args, **kwargs)
        kept.append(on_save(fig) if on_save else fig)
        return result

    matplotlib.figure.Figure.savefig = keep
    try:
        yield kept
    finally:
        matplotlib.figure.Figure.savefig = original
