"""One colour per population in every figure of the tools: Zerlaut et al. 2018's convention, regular-spiking
(excitatory) cells green and fast-spiking (inhibitory) cells red (an outside check found exc red and inh blue in
the examples' and experiments' figures beside green and red in plot and the viewer)."""
EXC_COLOUR, INH_COLOUR = "tab:green", "tab:red"
# What is neither population (a stimulus, a controller's output) takes a colour neither uses.
STIM_COLOUR = "tab:purple"
# A sensing channel's true signal, ADC sample and filtered value, drawn in this order, each narrower than the one
# under it: on a channel whose three nearly coincide the orange "filtered" line hid the other two (an outside check,
# 2026-12-06); now a grey edge (true signal) and a blue core (ADC) stay visible around and on the orange.
SENSING_LINES = {"true": {"color": "0.75", "lw": 2.6, "label": "true signal"},
                 "filtered": {"color": "tab:orange", "lw": 1.4, "label": "filtered"},
                 "raw": {"color": "tab:blue", "lw": 0.6, "label": "ADC (raw)"}}


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["plot", "viewer", "experiments"])
