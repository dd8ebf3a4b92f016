"""Webhooks and chat alerts (issue 14): endpoints per site, signed deliveries, retries.

- `events`: which audit events become which webhook events, and their payloads (JSON, or
  Slack-compatible incoming-webhook JSON).
- `signing`: the per-endpoint secret (derived from the installation key) and the
  `X-Commentsvc-Signature` header, with the recipe receivers use to check it.
- `guard`: outbound requests only to the configured URL, to a resolved and checked address.
- `worker`: the dispatcher (events to delivery rows) and sender (retries, disabling).
"""
