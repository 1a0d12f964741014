"""Config loading shared by the Brian2 reference scripts (not a script itself).

Reads a cortexloop TOML config with tomllib and applies `--set section.key=value`
overrides the way `cortexloop --set` does: the dotted path names a table
(possibly nested, e.g. network.drive.rate_Hz) and the value is parsed as a TOML
value (2, 2.5, true, "rest"); a bare word that is not valid TOML is taken as a string.
Only keys that already exist may be overridden, so a typo fails loudly.
"""
import copy
import pathlib
import tomllib

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO / "configs" / "zerlaut2018_network.toml"


def parse_value(text):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_set(cfg, assignment):
    if "=" not in assignment:
        raise SystemExit(f"--set expects section.key=value, got {assignment!r}")
    path, text = assignment.split("=", 1)
    keys = path.strip().split(".")
    node = cfg
    for k in keys[:-1]:
        if not isinstance(node.get(k), dict):
            raise SystemExit(f"--set {path}: no table {k!r} in the config")
        node = node[k]
    if keys[-1] not in node:
        raise SystemExit(f"--set {path}: no key {keys[-1]!r} in the config")
    value = parse_value(text.strip())
    old = node[keys[-1]]
    if isinstance(old, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    node[keys[-1]] = value
    return cfg


def load(path, sets=()):
    with open(path, "rb") as f:
        cfg = tomllib.load(f)
    cfg = copy.deepcopy(cfg)
    for s in sets:
        apply_set(cfg, s)
    return cfg


def add_arguments(parser, default=DEFAULT_CONFIG):
    parser.add_argument("--config", default=str(default),
                        help=f"TOML config (default: {default})")
    parser.add_argument("--set", dest="sets", action="append", default=[],
                        metavar="SECTION.KEY=VALUE",
                        help="override a config key, like cortexloop --set (repeatable)")


def population_sizes(cfg):
    net = cfg["network"]
    n = int(net["n_neurons"])
    n_exc = int(round(n * float(net["exc_fraction"])))
    return n, n_exc, n - n_exc


CELL_KEYS = ("c_pF", "g_l_nS", "e_l_mV", "v_t_mV", "delta_t_mV", "v_spike_mV",
             "v_reset_mV", "t_ref_ms", "a_nS", "b_pA", "tau_w_ms")
