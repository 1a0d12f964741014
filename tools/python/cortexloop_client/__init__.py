"""Python client of the cortexloop server (docs/protocol.md).

Uses Debian's python3-zmq and python3-flatbuffers and the Python code flatc generates from
io/protocol/schema/cortexloop.fbs at build time (build/python/cortexloop/protocol). Run with /usr/bin/python3 and
PYTHONPATH=build/python:tools/python, or let this package find build/python next to the repository.
"""
from .client import Client, Ack, decode_message, decode_readout_rates, load_key_file, ERROR_CODES

__all__ = ["Client", "Ack", "decode_message", "decode_readout_rates", "load_key_file", "ERROR_CODES"]
