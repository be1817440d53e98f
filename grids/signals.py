"""What grids tells the apps to its right, which it may not import.

``visit_interval_changed`` is sent, with ``household_ids``, when something that sets how often
those households are visited has changed: a household was added or moved to another grid, or a
resident's care categories or status changed. The visits app recomputes their due dates
(``Household.visit_due_on``) in the same transaction, so a page read afterwards sees them.
"""

from django.dispatch import Signal

visit_interval_changed = Signal()
