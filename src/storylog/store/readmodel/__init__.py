"""The read models' tables: their shape, the recorders that fill them per backend, the
questions the projections ask of them, and the check that they are current.

Nothing here decides what a row means: the folds and the shaping of answers live in
``storylog.projections``. This package only knows tables, SQL and drivers. Its modules
are imported one by one (no imports here), so that a read that needs only the questions
never loads eventsourcing's recorders.
"""
