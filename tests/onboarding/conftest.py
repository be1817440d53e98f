from types import SimpleNamespace

import pytest

from onboarding import engine


@pytest.fixture(autouse=True)
def _stopped_progress_clock(monkeypatch):
    """Progress is saved at most once a second (onboarding/engine.py): with the clock stopped a
    slow machine makes the same queries as a fast one, so query counts stay exact."""
    monkeypatch.setattr(engine, "time", SimpleNamespace(monotonic=lambda: 1000.0))
