"""Changing a site's policy, the one way the API (PUT replaces, PATCH merges) and the
CLI (`site policy --set` merges) both do it: validated whole, read and written in one
transaction (docs/design-notes.md: "policy set and merge")."""

from __future__ import annotations

from typing import Any

from commentsvc.errors import FieldError, Invalid, NotFound
from commentsvc.policy import Policy, PolicyError
from commentsvc.store import Store


async def save_policy(
    store: Store, site_id: str, data: dict[str, Any], *, merge: bool = False
) -> dict[str, Any]:
    """Validate and store `data` as the site's whole policy, or with `merge` on top of the
    stored one, read and written in one transaction (what the API and the CLI both do);
    the policy with every field, or `Invalid` naming each bad field."""
    full: dict[str, Any] = {}

    def change(stored: dict[str, Any]) -> dict[str, Any]:
        combined = {**stored, **data} if merge else dict(data)
        try:
            policy = Policy.from_json(combined)
        except PolicyError as exc:
            errors = [FieldError(f, m) for f, m in exc.errors]
            detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
            raise Invalid(detail, errors=errors) from None
        full.update(policy.to_json())
        return {key: full[key] for key in combined}

    if await store.sites.change_policy(site_id, change) is None:
        raise NotFound(f"no site {site_id!r}")
    return full
