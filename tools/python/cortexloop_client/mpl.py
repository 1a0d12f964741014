"""matplotlib for the tools' figures, imported when a figure is drawn: importing pyplot costs ~0.3-0.5 s of CPU
(~0.2 s matplotlib itself), which a tool that prints its --help, refuses its input or finds a recording damaged
should not pay before saying so (in the test suite ~50 such runs of plot, plot_vsdi, plot_aln_sweep, aln_fig4 and
aln_live_fig4 imported it for nothing)."""


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only: the tools write PNGs, the viewer picks its own backend)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def white_outline(linewidth):
    """A path effect that outlines a line or a label in white, `linewidth` points wide: it keeps black marks visible
    on the dark end of a colour map as on a white panel."""
    from matplotlib import patheffects
    return [patheffects.withStroke(linewidth=linewidth, foreground="white")]


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["plot", "viewer", "tools/plot_vsdi.py"])
