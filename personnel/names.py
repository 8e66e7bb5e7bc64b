"""How people are named on screens and paper: the 涉密人员 record's name when there is one, else the
account's. Every app that prints a person (registers, meetings …) asks here, so a person reads the
same on every register."""
from django.core.exceptions import ObjectDoesNotExist


def person_name(user):
    """A person's name as staff know it (the 涉密人员 record), else the account name."""
    if user is None:
        return ""
    try:
        person = user.person
    except (ObjectDoesNotExist, AttributeError):
        person = None
    if person is not None and person.full_name:
        return person.full_name
    return user.get_full_name() or user.get_username()
