"""Django's Redis cache, with one Redis client per connection pool instead of one per call.

Django builds a new ``redis.Redis`` for every cache operation, and that constructor fills a
table of ~170 response callbacks each time: on a signed-in page (its session, a dashboard's
body, the board's rows) it cost more than the round trips themselves. A client is safe to
share: it takes a connection from its pool for each command.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shared = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._shared.get(id(pool))
        if client is None:
            client = self._shared[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClient
