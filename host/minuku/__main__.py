"""``python -m minuku`` is the ``minuku`` command (the launcher uses it).

``minuku host`` is what Thunderbird starts, and its first answer is on the clock (issue 10):
it goes straight to the request loop, without importing the command line parser.
"""

import sys

if sys.argv[1:2] == ["host"]:
    from .nativemsg import main as host_main

    sys.exit(host_main(sys.argv[2:]))

from .cli import main

sys.exit(main())
