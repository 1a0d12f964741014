"""Puts tools/python on sys.path so the examples run from anywhere with /usr/bin/python3."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
