"""The 837I model: loops, claim and service-line fields, and the edit operations.

This package knows 837I structure but no coding policy.
"""
