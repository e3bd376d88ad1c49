"""The store: mapping events to rows, sealing content, the hash chain, backends."""
