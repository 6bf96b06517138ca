"""`python -m pilotkit` is the same as the `pilotkit` command."""

from pilotkit.cli import main

raise SystemExit(main())
