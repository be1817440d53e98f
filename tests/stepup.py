"""A test client's session with the password just confirmed (accounts.stepup)."""

from django.utils import timezone

from accounts.stepup import SESSION_KEY


def confirm_password(client, at=None) -> None:
    session = client.session
    session[SESSION_KEY] = (at or timezone.now()).isoformat()
    session.save()
