"""Pure, synchronous moderation: normalize, match, run stages, decide.

Nothing here does I/O or imports the service; the worker gathers the facts
(author history, duplicates, bans) and hands them in.
"""
