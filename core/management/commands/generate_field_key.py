"""A new random key for FIELD_ENCRYPTION_KEYS or FIELD_HASH_KEYS (README, "Personal data
at rest")."""

import re

from django.core.management.base import BaseCommand, CommandError

from core.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new id:base64 key (32 random bytes) to put first in the environment."

    def add_arguments(self, parser):
        parser.add_argument("key_id", help="a short name, e.g. 2027a (letters, digits, - or _)")

    def handle(self, *args, key_id: str, **options):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,12}", key_id):
            raise CommandError("the key id has 1 to 12 letters, digits, - or _")
        self.stdout.write(generate_key(key_id))
