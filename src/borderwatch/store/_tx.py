"""One helper shared by the store modules: use the caller's session or run in a new transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from borderwatch.store.db import Store


@contextmanager
def transaction(store: Store, session: Session | None, *, readonly: bool = False) -> Iterator[Session]:
    """``session`` itself when given (the caller commits), else a new session committed at the end."""
    if session is not None:
        yield session
        return
    with store.session(readonly=readonly) as s:
        yield s
