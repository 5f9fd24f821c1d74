"""cart837: correct how CAR-T cell therapy is billed on X12 837I claim files."""

__version__ = "0.1.0"
