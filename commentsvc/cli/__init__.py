"""The `commentsvc` command: `commands` holds the parser and the serve/api/worker/migrate
commands; each other module is one command group (`moderators`, `tokens`, `threads`,
`people`, `webhooks`, `transfer`)."""

from commentsvc.cli.commands import main

__all__ = ["main"]
