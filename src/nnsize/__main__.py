"""python -m nnsize"""

import sys

from .cli import main

sys.exit(main())
