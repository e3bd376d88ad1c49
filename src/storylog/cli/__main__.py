"""`python -m storylog.cli`: the same as the `storylog` command."""

from storylog.cli import main

main()
