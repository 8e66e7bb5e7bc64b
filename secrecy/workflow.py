"""The one shape of every state machine in the product (ARCHITECTURE "State changes").

Each workflow declares its table next to its states: (state, action) -> Move(next state, who may
act). The table is the documentation; a service asks `move_for` before anything else, and a
screen asks `actions_from` which buttons to show. Who a party is for a given object is decided by
the app's policy, never here.
"""
import dataclasses
from collections.abc import Mapping

from .errors import InvalidState


@dataclasses.dataclass(frozen=True)
class Move:
    # None where the service decides the next state itself (e.g. when two opinions are in).
    to: str | None
    # The parties who may make the move (one party may be given alone); empty where the service's
    # own policy check is the whole rule. Ask with `party in move.by`.
    by: tuple = ()

    def __post_init__(self):
        if isinstance(self.by, str):
            object.__setattr__(self, "by", (self.by,))


class Workflow(Mapping):
    """A declared transition table, (state, action) -> Move, with the one way of asking it. It reads
    as the mapping it declares (iterating gives the (state, action) pairs in the table's order).

    refusal(state, action) gives the sentence a user reads when the table has no such move."""

    def __init__(self, table, *, refusal):
        self.table = dict(table)
        self.refusal = refusal

    def __getitem__(self, key):
        return self.table[key]

    def move_for(self, state, action, *, refusal=None):
        """The allowed move, or InvalidState with a message the user can read (`refusal`, where the
        caller can name the object better than the table can)."""
        move = self.table.get((state, action))
        if move is None:
            raise InvalidState(refusal or self.refusal(state, action))
        return move

    def actions_from(self, state):
        """The actions the table allows from a state, in the table's order (for showing buttons)."""
        return [action for (from_state, action) in self.table if from_state == state]

    def __iter__(self):
        return iter(self.table)

    def __len__(self):
        return len(self.table)


def from_states(rows, *, refusal):
    """A Workflow from rows written the other way round, action: (from states, Move) — handy where
    one action leaves several states alike."""
    return Workflow({(state, action): move for action, (states, move) in rows.items() for state in states},
                    refusal=refusal)
