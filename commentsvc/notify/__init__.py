"""Notifications: subscriptions with double opt-in, recipients, email composition, sending."""
