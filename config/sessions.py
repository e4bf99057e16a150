"""Sessions in the database, or in a signed cookie while Ai runs on a read-only replica.

``SESSION_ENGINE = "config.sessions"``. With a writable database this is Django's database
engine. With ``AI_READ_ONLY`` (a hot standby refuses every write), a session that changes
(a sign-in, the idle clock of ``accounts.middleware``, a message) is saved as a signed
cookie instead, the way Django's ``signed_cookies`` engine does: its key *is* the signed
data (``payload:timestamp:signature``, never a database key's 32 letters and digits).

- a session made before on the primary keeps working: it is read from the table, and its
  next change moves it into the cookie;
- a signed session read back on the primary is moved into the table at its next save;
- signing out on a replica clears the cookie; the table's row (if any) cannot be deleted
  there and stays until it expires (``SESSION_COOKIE_AGE``). A signed cookie cannot be
  revoked from the server either: it is valid until ``SESSION_COOKIE_AGE`` at most (the
  idle timeout and a password change still end it).
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.core import signing

SALT = "config.sessions.read_only"


def _on_replica() -> bool:
    from tenants.readonly import on_replica

    return on_replica()


def _is_signed(key: str | None) -> bool:
    return bool(key) and ":" in key


class SessionStore(db.SessionStore):
    def load(self):
        if not _is_signed(self.session_key):
            return super().load()
        try:
            return signing.loads(
                self.session_key,
                serializer=self.serializer,
                max_age=self.get_session_cookie_age(),
                salt=SALT,
            )
        except Exception:  # a bad signature, too old, unreadable: a new, empty session
            self._session_key = None
            return {}

    def exists(self, session_key):
        if _is_signed(session_key):
            return False
        return super().exists(session_key)

    def create(self):
        if not _on_replica():
            return super().create()
        self._session_key = None
        self.modified = True

    def save(self, must_create=False):
        if not _on_replica():
            if _is_signed(self.session_key):  # back on the primary: into the table
                self._session_key = None
                must_create = True
            return super().save(must_create=must_create)
        self._session_key = signing.dumps(
            self._get_session(no_load=must_create),
            compress=True,
            salt=SALT,
            serializer=self.serializer,
        )
        self.modified = True

    def delete(self, session_key=None):
        key = session_key if session_key is not None else self.session_key
        if _on_replica() or _is_signed(key):
            if session_key is None:
                self._session_key = None
            return
        return super().delete(session_key)
