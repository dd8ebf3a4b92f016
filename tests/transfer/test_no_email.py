"""No import ever causes an email: not during the import, not when the workers run after."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from commentsvc.config import Settings
from commentsvc.models import SubscriptionKind
from commentsvc.store.tables import deliveries, moderators
from tests.moderators.helpers import add_moderator
from tests.notify.conftest import NO_WAIT, SMTPServer, subscriber
from tests.support import drain, runtime_of
from tests.transfer.conftest import Client, run_export, run_import
from tests.transfer.files import WpComment, WpPost, dsq_post, dsq_thread, write_disqus, write_wxr
from workers.notifier import run_notifier
from workers.sweeper import Sweeper


async def test_imports_mail_nobody(
    client: Client, settings: Settings, smtp: SMTPServer, tmp_path: Path
) -> None:
    runtime = runtime_of(client)
    store = runtime.store
    await add_moderator(client, "mod@example.org", role="admin")
    async with store.db.write() as conn:
        await conn.execute(moderators.update().values(notify_pending=True))
    # Confirmed subscribers on the threads the imports fill, before they run.
    await subscriber(store, "watcher@example.org", "2024/01/watched")
    await subscriber(store, "reader@example.org", "2024/01/watched", SubscriptionKind.REPLIES)
    await subscriber(store, "watcher@example.org", "2021/dq")
    wxr = write_wxr(
        tmp_path / "wp.xml",
        [
            WpPost(
                1,
                "https://courier.example/2024/01/watched/",
                "Watched",
                [
                    WpComment(1, "Root by a subscriber.", email="reader@example.org"),
                    WpComment(
                        2,
                        "A reply to the subscriber.",
                        parent=1,
                        email="other@example.org",
                        date_gmt="2024-03-02 09:00:00",
                    ),
                    WpComment(3, "Pending one.", approved="0", date_gmt="2024-03-03 09:00:00"),
                ],
            ),
        ],
    )
    dq = write_disqus(
        tmp_path / "dq.xml",
        [dsq_thread("5", "https://courier.example/2021/dq/", "DQ")],
        [
            dsq_post("1", "5", "<p>hi</p>", "2021-01-01T00:00:00Z", email="reader@example.org"),
            dsq_post("2", "5", "<p>re</p>", "2021-01-02T00:00:00Z", parent="1"),
        ],
    )
    for fmt, path in (("wordpress", wxr), ("disqus", dq)):
        code, _, err = await run_import(settings, fmt, str(path))
        assert code == 0, err
    # Our own format too, into a second instance's worth of rows on another site.
    export = tmp_path / "export.jsonl"
    assert await run_export(settings, export, "--site", "default") == 0

    # Now everything that could send mail runs: sweeper, moderation, notifier (twice).
    for _ in range(2):
        await Sweeper(runtime, notify=True).sweep_once()
        await drain(client)
        await run_notifier(runtime, burst=True, retry_schedule_s=NO_WAIT)
    async with store.db.read() as conn:
        rows = (await conn.execute(sa.select(deliveries))).mappings().all()
    assert rows == []
    assert smtp.messages == []
    assert not list((settings.data_dir / "maildir").rglob("*.eml"))

    # --moderate hands comments to the moderation worker: still no mail to readers (the
    # worker's holds reach moderators' pending alerts like any comment's).
    again = write_wxr(
        tmp_path / "wp2.xml",
        [
            WpPost(
                1,
                "https://courier.example/2024/01/watched/",
                "Watched",
                [
                    WpComment(10, "Moderated again on import.", email="reader@example.org"),
                    WpComment(
                        11, "Reply, moderated again.", parent=10, date_gmt="2024-03-04 09:00:00"
                    ),
                ],
            ),
        ],
    )
    code, summary, err = await run_import(settings, "wordpress", str(again), "--moderate")
    assert code == 0, err
    assert summary["comments"] == {"received": 2}
    for _ in range(2):
        await Sweeper(runtime, notify=True).sweep_once()
        await drain(client)
        await run_notifier(runtime, burst=True, retry_schedule_s=NO_WAIT)
    async with store.db.read() as conn:
        templates = {r[0] for r in await conn.execute(sa.select(deliveries.c.template))}
        left = await conn.scalar(sa.text("SELECT count(*) FROM comments WHERE status = 'received'"))
    assert templates <= {"moderators"} and left == 0
    assert all(m.rcpt_tos == ["mod@example.org"] for m in smtp.messages)
