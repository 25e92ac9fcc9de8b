"""shipline: one manifest, a production GitHub Actions pipeline."""

__version__ = "0.1.0"
