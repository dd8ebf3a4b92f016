"""The email an admin gets when one of their site's webhook endpoints is disabled."""

from __future__ import annotations

from datetime import datetime

from commentsvc.models import Site
from commentsvc.notify.compose import Composer
from commentsvc.store.deliveries import Delivery, Template

TEMPLATE = Template.WEBHOOK_DISABLED


def compose(
    composer: Composer, row: Delivery, site: Site, unsubscribe_url: str, now: datetime
) -> bytes:
    """The alert in the site's default language (admins get it as the site speaks)."""
    data = row.data
    context = {
        **composer.base_context(site, None, unsubscribe_url),
        "url": str(data.get("url", "")),
        "failures": int(data.get("failures", 0) or 0),
        "reason": str(data.get("reason", "")),
        "endpoint_id": int(data.get("endpoint_id", 0) or 0),
    }
    lang = composer.catalogues.site_default(site.id)
    return composer.message(
        site=site,
        recipient=row.recipient,
        rendered=composer.render(site.id, TEMPLATE.value, context, lang),
        message_id=composer.other_message_id(TEMPLATE, str(row.id), row.recipient),
        unsubscribe_url=unsubscribe_url,
        now=now,
    )
