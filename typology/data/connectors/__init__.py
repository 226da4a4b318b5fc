"""Connectors to the official sources of the study's indicators (law.go.kr, 지방재정365, KOSIS
metadata, data.go.kr file lists). ``http`` holds what they share: base URLs from environment
variables, the disk cache, retries and the provenance record; each API family has a module."""
