"""The email an admin gets when one of their site's webhook endpoints is disabled."""

from __future__ import annotations

from datetime import datetime

from commentsvc.models import Site
from commentsvc.notify.compose import Composer, Rendered
from commentsvc.store.deliveries import Delivery, Template

TEMPLATE = Template.WEBHOOK_DISABLED


def compose(
    composer: Composer, row: Delivery, site: Site, unsubscribe_url: str, now: datetime
) -> bytes:
    data = row.data
    url = str(data.get("url", ""))
    failures = int(data.get("failures", 0) or 0)
    reason = str(data.get("reason", ""))
    endpoint_id = int(data.get("endpoint_id", 0) or 0)
    text = (
        f"The webhook endpoint {endpoint_id} of {site.name} ({url}) failed {failures} times in "
        f"a row and has been disabled. The last error: {reason}\n\n"
        "Its deliveries wait and nothing is lost. Once the receiver works again, enable it:\n"
        f"  commentsvc webhook enable {endpoint_id}\n"
        'or PATCH /api/v1/sites/SITE/webhooks/ID with {"enabled": true}.\n'
    )
    html_text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    rendered = Rendered(
        subject=f"Webhook disabled on {site.name}"[:200],
        text=text,
        html=f'<pre style="white-space:pre-wrap">{html_text}</pre>',
    )
    return composer.message(
        site=site,
        recipient=row.recipient,
        rendered=rendered,
        message_id=composer.other_message_id(TEMPLATE, str(row.id), row.recipient),
        unsubscribe_url=unsubscribe_url,
        now=now,
    )
