"""``python -m councilsurvey``: the ``councilsurvey`` command (see
:mod:`councilsurvey.pipeline.cli`)."""

import sys

from councilsurvey.pipeline.cli import main

sys.exit(main())
