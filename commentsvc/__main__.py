"""`python -m commentsvc` is the `commentsvc` command."""

import sys

from commentsvc.cli.commands import main

sys.exit(main())
