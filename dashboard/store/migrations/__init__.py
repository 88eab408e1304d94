"""The store's schema migrations (Alembic revisions in ``versions/``), run by ``dashboard.store.migrate``."""
