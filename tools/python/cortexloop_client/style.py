"""One colour per population in every figure of the tools: Zerlaut et al. 2018's convention, regular-spiking
(excitatory) cells green and fast-spiking (inhibitory) cells red (an outside check found exc red and inh blue in
the examples' and experiments' figures beside green and red in plot and the viewer)."""
EXC_COLOUR, INH_COLOUR = "tab:green", "tab:red"
# What is neither population (a stimulus, a controller's output) takes a colour neither uses.
STIM_COLOUR = "tab:purple"
