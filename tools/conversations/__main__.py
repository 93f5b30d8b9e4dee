"""`python -m tools.conversations [FILES]`."""

from .cli import main

raise SystemExit(main())
