"""What the bench scripts share to check their command line before a run: the argparse number types of the client
package's cli (one definition: positive_int, positive_float, non_negative_float, int_type), a file written at the
end checked first (output_file), and JSON without the non-standard NaN (json_safe). Imported by the scripts beside
it; not a tool."""
import math
import os
import sys

# The checkout's tools/python, found from this file's real place (a test links it into a made-up tree).
sys.path[:0] = [os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "tools", "python")]
from cortexloop_client.cli import int_type, non_negative_float, positive_float, positive_int  # noqa: E402,F401


def output_file(ap, option, path):
    """Checks a file written at the end, before the run: a folder given as --json ran everything (minutes of Brian2)
    and then ended in an IsADirectoryError traceback (an outside audit). argparse's error, exit 2."""
    if os.path.isdir(path) or path.endswith(os.sep):
        ap.error(f"{option} {path}: is a folder; name a file")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        ap.error(f"{option} {path}: cannot create its folder {folder} ({e.strerror})")
    if not os.access(folder, os.W_OK):
        ap.error(f"{option} {path}: the folder {folder} is not writable")


def json_safe(value):
    """`value` with every non-finite float as None: JSON has no NaN (json.dumps wrote the token NaN, which strict
    readers refuse: an outside audit)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value

