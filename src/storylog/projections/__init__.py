"""Projections: views folded from a story's events (current story, versions, audit log)."""
