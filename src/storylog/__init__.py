"""storylog: the complete, verifiable history of a live news story."""

__version__ = "0.1.0"
