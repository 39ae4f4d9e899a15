"""Thin FastAPI routes of the emulated wc/v3 API and of the control plane.

Each route parses and validates its arguments, checks the caller's
capability, calls a store and renders the answer; the behaviour lives in the
stores. Routes are grouped by resource, one router per module.
"""
