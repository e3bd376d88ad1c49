"""Renderers: plain data (a view, a report) to terminal text, Markdown or CSV.

Every piece of text the command line shows is written here; the command line hands
its results over and prints what comes back. JSON is the data itself (`cli.output`).
"""
