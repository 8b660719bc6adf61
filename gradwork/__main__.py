"""`python -m gradwork ...`: the `gradwork` command."""
import sys

from .cli.main import main

sys.exit(main())
