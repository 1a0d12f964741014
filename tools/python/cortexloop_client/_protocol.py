"""Imports the flatc-generated protocol package, finding it in the build tree if it is not on the path."""
import os
import sys


def _add_generated_path():
    candidates = [os.environ.get("CORTEXLOOP_PYTHON_GEN", "")]
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", "..", ".."))
    candidates += [os.path.join(repo, "build", "python")]
    for path in candidates:
        if path and os.path.isfile(os.path.join(path, "cortexloop", "protocol", "Message.py")):
            if path not in sys.path:
                sys.path.insert(0, path)
            return


try:
    import cortexloop.protocol.Message  # noqa: F401
except ImportError:
    _add_generated_path()

from cortexloop.protocol import (  # noqa: E402
    Ack, ChannelProgram, ClearController, ClearStimulation, Command, CommandBody, GetInfo, Info, Message, Pause,
    Payload, Ping, Program, Readout, Reset, Resume, SafetyEvent, ScheduleEntry, SetController, SetDriveRate,
    SetParameter, SetPrograms, SetStimulation, Site, SpikeBatch, Status, Step)

IDENTIFIER = b"CXL1"
