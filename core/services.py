from django.db import transaction
from django.utils import timezone

from core.models import Heartbeat

BEAT = "beat"


@transaction.atomic
def record_heartbeat(*, name: str = BEAT) -> Heartbeat:
    beat, _created = Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
    return beat
