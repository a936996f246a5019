"""Offline evaluation of the matcher: BEIR folders and the demo corpus splits, metrics via ranx."""
