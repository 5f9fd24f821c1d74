"""Lossless X12: delimiters, segments, a streaming scanner and the envelope checks.

This package knows nothing about claims or CAR-T.
"""
