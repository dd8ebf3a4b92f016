"""`python -m commentsvc` is the `commentsvc` command."""

import sys

from commentsvc.cli import main

sys.exit(main())
