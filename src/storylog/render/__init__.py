"""Renderers: a view (a plain dict) to terminal text, Markdown or JSON."""
