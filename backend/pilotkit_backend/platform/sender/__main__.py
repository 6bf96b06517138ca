"""`python -m pilotkit_backend.platform.sender`: run a sender worker as its own process (see `main`)."""

import sys

from pilotkit_backend.platform.sender.main import main

sys.exit(main())
