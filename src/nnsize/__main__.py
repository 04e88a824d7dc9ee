"""python -m nnsize"""

import sys

from .cli import console

if __name__ == "__main__":  # not when a forkserver child (child.py) imports it as __mp_main__
    sys.exit(console())
