"""The corrections desk's rules: file a report, list and decide reports, the public markers."""

from __future__ import annotations

from commentsvc.auth import Principal
from commentsvc.clock import now_utc
from commentsvc.corrections.mail import ReporterMail
from commentsvc.corrections.reports import ACTIONS, Decision, NewReport
from commentsvc.errors import NotFound
from commentsvc.policy import Policy, PolicyError
from commentsvc.store import Store
from commentsvc.store.corrections import CorrectedPassage, Correction, CorrectionStatus
from commentsvc.store.subscriptions import canonical_email
from commentsvc.validation import is_plain_int


class CorrectionDesk:
    """What readers and moderators do with reports of an error; `mail` writes to reporters."""

    def __init__(self, store: Store, mail: ReporterMail | None = None) -> None:
        self.store = store
        self.mail = mail

    async def _spam(self, site_id: str, report: NewReport, ip_hash: str) -> bool:
        """The honeypot, the site's disallowed keys (WordPress semantics) or a ban."""
        if report.honeypot:
            return True
        site = await self.store.sites.get(site_id)
        try:
            keys = Policy.from_json(site.policy if site else None).disallowed_keys
        except PolicyError:  # a stored policy is checked when saved; never fail a report
            keys = ()
        texts = [report.note.casefold(), (report.email or "").casefold()]
        if any(key.casefold() in text for key in keys if key for text in texts):
            return True
        return await self._banned(site_id, report, ip_hash)

    async def _banned(self, site_id: str, report: NewReport, ip_hash: str) -> bool:
        email = canonical_email(report.email) if report.email else ""
        for ban in await self.store.bans.active(site_id):
            value = ban.value.casefold()
            if ban.kind == "ip" and ban.value == ip_hash:
                return True
            if ban.kind == "email" and email and email == value:
                return True
            if ban.kind == "domain" and email and email.rpartition("@")[2] in (value,):
                return True
        return False

    async def report(
        self, site_id: str, report: NewReport, ip_hash: str, user_agent: str
    ) -> Correction:
        """Store a reader's report; spam (see `_spam`) is kept, unseen, and mails no one."""
        thread = await self.store.threads.ensure(
            site_id, report.thread, report.thread_url, report.thread_title
        )
        spam = await self._spam(site_id, report, ip_hash)
        email = canonical_email(report.email) if report.email else None
        if email and await self.store.subscriptions.is_suppressed(email):
            email = None  # an address that asked for no email gets none
        stored = await self.store.corrections.add(
            site_id=site_id,
            thread_id=thread.id,
            anchor=report.anchor,
            note=report.note,
            reporter_email=email,
            lang=report.lang,
            ip_hash=ip_hash,
            user_agent=user_agent,
            status=CorrectionStatus.SPAM if spam else CorrectionStatus.OPEN,
            now=now_utc(),
        )
        if email and not spam and self.mail is not None:
            await self.mail.confirm(stored, ip_hash)
        return stored

    async def load(self, who: Principal, correction_id: str) -> Correction:
        """A report this moderator may see: 404 for an unknown id, 403 for another site's."""
        found = None
        if is_plain_int(correction_id) and len(correction_id) <= 9:  # "²" is isdigit()
            found = await self.store.corrections.get(int(correction_id))
        if found is None:
            raise NotFound("no such correction report")
        who.require_site(found.site_id)
        return found

    async def listing(
        self, who: Principal, site_id: str, status: CorrectionStatus | None, after_id: int | None
    ) -> list[Correction]:
        who.require_site(site_id)
        return await self.store.corrections.listing(site_id, status, after_id=after_id)

    async def count_open(self, who: Principal, site_id: str) -> int:
        who.require_site(site_id)
        return await self.store.corrections.count_open(site_id)

    async def decide(self, who: Principal, correction_id: str, decision: Decision) -> Correction:
        found = await self.load(who, correction_id)
        status = CorrectionStatus(ACTIONS.get(decision.action, CorrectionStatus.OPEN.value))
        decided = await self.store.corrections.decide(
            found.id, status, decision.public_note, who.actor, now_utc()
        )
        if decided is None:
            raise NotFound("no such correction report")
        if decided.status is CorrectionStatus.CORRECTED:
            await self.tell_reporter(decided)
        return decided

    async def tell_reporter(self, correction: Correction) -> None:
        """Mail the reporter that their report led to a correction: once, if they confirmed."""
        if self.mail is None:
            return
        if await self.store.corrections.claim_notification(correction.id, now_utc()):
            await self.mail.corrected(correction)

    async def corrected(self, site_id: str, thread_key: str) -> list[CorrectedPassage]:
        thread = await self.store.threads.get(site_id, thread_key)
        if thread is None:
            return []
        return await self.store.corrections.corrected(thread.id)
