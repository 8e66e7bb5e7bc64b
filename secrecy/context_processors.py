from django.conf import settings

SYSTEM_NAME = "涉密载体管理系统"


def site(request):
    """The names every page shows, whoever is signed in. What depends on the user's roles and on
    the apps (the menu and its numbers) is portal.context_processors.navigation: secrecy/ imports
    no app."""
    return {
        "system_name": SYSTEM_NAME,
        "unit_name": settings.SECRECY.get("UNIT_NAME", ""),
    }
