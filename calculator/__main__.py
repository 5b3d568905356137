"""`python -m calculator table|plan|validate|schema|estimate ...`: the command line lives in calculator/cli/."""

from __future__ import annotations

import sys

from calculator.cli import main

if __name__ == "__main__":
    sys.exit(main())
