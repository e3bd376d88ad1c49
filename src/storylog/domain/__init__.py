"""The newsroom domain: the Story and SourceRegistry aggregates, their events and values
(no I/O)."""
