"""SQL storage: tables, migrations, and the Store the service calls."""

from commentsvc.store.engine import Database
from commentsvc.store.store import Store

__all__ = ["Database", "Store"]
