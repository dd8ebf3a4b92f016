"""Start the embedded Redis in a data dir, print its URL, and hang until killed.

Usage: python embedded_and_hang.py DATA_DIR
Stands in for a commentsvc process that crashes and leaves its Redis behind.
"""

from __future__ import annotations

import asyncio
import sys

from commentsvc.queue.embedded import EmbeddedRedis


async def main(data_dir: str) -> None:
    embedded = EmbeddedRedis(data_dir)
    await embedded.start()
    print(embedded.url, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
