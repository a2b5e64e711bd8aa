"""`python -m forum` is the same as the `forum` console script."""

from forum.ops.cli import main

raise SystemExit(main())
