"""Pure analysis for retrosense: numpy/scipy in, typed events out.

Nothing in this package touches files, sockets, clocks or configuration files; ``sensor``
is the shell around it. See ../STYLE.md (shared) for the streaming detector shape.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())
