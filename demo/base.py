"""What the sections of `manage.py seed_demo` share: the context they build on and the result
each reports (one line of the command's output)."""
import dataclasses
import datetime as dt
import random

from django.contrib.auth import get_user_model

PASSWORD = "Secrecy#2026"
RANDOM_SEED = 20260101


@dataclasses.dataclass
class SectionResult:
    created: int = 0
    existing: int = 0
    note: str = ""


@dataclasses.dataclass
class Context:
    """What sections share: the departments and users by code/username, a seeded generator, today."""

    rng: random.Random
    today: dt.date
    # The day the demo was first seeded (its carriers registered); set by seed_carriers.
    seed_day: dt.date = None
    departments: dict = dataclasses.field(default_factory=dict)
    users: dict = dataclasses.field(default_factory=dict)

    def refresh_user(self, username):
        # Role checks cache on the instance; take a fresh one after roles change.
        self.users[username] = get_user_model().objects.select_related("person").get(username=username)
        return self.users[username]
