from __future__ import annotations

import sqlite3

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections


@pytest.fixture
def concurrent_database(transactional_db, tmp_path):
    """The test database as several threads of a real server see it.

    SQLite's in-memory test database is a *shared cache*, where a writer that
    finds another one busy is refused at once ("database table is locked")
    instead of waiting ``busy_timeout``. A file database, as in production,
    makes writers queue. So on SQLite the test runs on a file copy of the
    test database, with the project's settings (WAL, ``BEGIN IMMEDIATE``,
    ``busy_timeout``); PostgreSQL needs nothing.
    """
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    connection.ensure_connection()
    path = tmp_path / "concurrent.sqlite3"
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    settings_dict = connections.settings[DEFAULT_DB_ALIAS]
    memory_name = settings_dict["NAME"]
    # Keeps the in-memory database alive while Django's connection to it is closed.
    keeper = sqlite3.connect(memory_name, uri=True)
    settings_dict["NAME"] = connection.settings_dict["NAME"] = str(path)
    connection.close()
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = connection.settings_dict["NAME"] = memory_name
        connection.ensure_connection()
        keeper.close()
