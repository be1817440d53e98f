"""Where each query goes when DATABASE_REPLICA_URL sets up a replica; core/replica.py says
when reads may go to it, through the per-request state kept here. Writes, and reads outside
``reads_from_replica``, go to the primary by name: left to Django, an object read from the
replica would be saved back to it."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"


@dataclass
class Reads:
    """What decides where this request's (or, outside a request, this block's) reads go."""

    pinned: bool = False  # the user wrote moments ago, or the replica failed this request
    wrote: bool = False  # this request wrote: it reads its own writes
    on_replica: bool = False  # inside reads_from_replica, the replica answering
    used: bool = False  # a read went to the replica


reads: ContextVar[Reads | None] = ContextVar("replica_reads", default=None)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if REPLICA not in settings.DATABASES:
            return None
        now = reads.get()
        if (
            now is not None
            and now.on_replica
            and not (now.pinned or now.wrote)
            # A transaction on the primary reads what it has written and not yet committed.
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            now.used = True
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        if REPLICA not in settings.DATABASES:
            return None
        now = reads.get()
        if now is not None:
            now.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        both = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in both and obj2._state.db in both:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is a copy of the primary: every migration reaches it by streaming.
        return False if db == REPLICA else None
