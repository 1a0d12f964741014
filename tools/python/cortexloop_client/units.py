"""The unit of each sensed signal (a [[device.sensing]] `signal`) and of each stimulation site's current, for the
axes of the figures (plot.py from a recording, viewer.py live): one table, so both label a panel the same way."""

SIGNAL_UNITS = {"lfp_proxy": "nA", "rate_exc": "Hz", "rate_inh": "Hz", "ring_vsdi": "%", "ring_rate_exc": "Hz",
                "ring_rate_inh": "Hz", "aln_rate_exc": "Hz", "aln_rate_inh": "Hz"}
SITE_UNITS = {0: "pA/cell", 1: "pA/cell", 2: "uA"}  # SiteKind Population, RingPosition: direct; Electrode: uA


def sensing_signals(config_toml):
    """The `signal` of each [[device.sensing]] of a config's text (GetInfo's config_toml), in order."""
    import tomllib
    try:
        device = tomllib.loads(config_toml or "").get("device", {})
    except tomllib.TOMLDecodeError:
        return []
    return [s.get("signal", "") for s in device.get("sensing", [])]


if __name__ == "__main__":  # a library: says so and what to run instead (exit 2)
    from .cli import library_module
    library_module(__spec__.name, ["plot", "viewer"])
