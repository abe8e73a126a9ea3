"""Settings of the worker that ``test_crash`` kills: the project's, with a short lease and small chunks.

A one-second lease lets a restarted worker resume a killed one's batch
quickly; chunks of five payments give the kills many transaction
boundaries to land between (and inside).
"""

from ketnoi.settings.base import *  # noqa: F403

PROGRAMMES_BATCH_LEASE_SECONDS = 1
PROGRAMMES_BATCH_CHUNK_SIZE = 5
