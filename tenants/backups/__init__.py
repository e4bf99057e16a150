"""Backups of one municipality: its schema and its public rows, in one file (issue 13).

- ``archive``: the file (a tar of ``manifest.json``, ``public.json``, ``schema.dump``) and
  its checks; ``copydata``: the default layout of ``schema.dump`` (COPY per table);
  ``retention``: which scheduled backups to keep (a pure function);
  ``storage``: where files go (a folder; an S3-compatible bucket would be another class);
  ``pgtools``: Debian's ``pg_dump``/``pg_restore`` of the server's major version;
  ``service``: back up, restore, delete recoverably, bring back, purge (the operators' actions).
"""
