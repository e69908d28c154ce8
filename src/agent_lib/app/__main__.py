"""`python -m agent_lib.app`: the command of a deployed agent App (see `server.main`)."""

import sys

from .server import main

sys.exit(main())
