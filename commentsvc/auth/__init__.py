"""Moderator authentication: scrypt passwords, sessions with CSRF tokens, API tokens."""

from commentsvc.auth.accounts import Accounts
from commentsvc.auth.principal import ALL_SITES, Principal, Role
from commentsvc.auth.sessions import Authenticator, SessionAuth, SignedIn

__all__ = ["ALL_SITES", "Accounts", "Authenticator", "Principal", "Role", "SessionAuth", "SignedIn"]
