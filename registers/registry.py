"""Every printed register of every app, by name (SPEC §11).

An app declares its registers in the `REGISTERS` sequence of its own `registers` module (a
`secrecy.printing.RegisterSpec` each) without importing this app, which sits above it
(ARCHITECTURE "The house"). At start-up `autodiscover` imports `<app>.registers` of every installed
app, as django.contrib.admin does with admin modules, and files the declarations here; the
register screens, the job task and the `register` command look registers up only here.
"""
from django.apps import apps
from django.utils.module_loading import module_has_submodule

from secrecy.errors import ValidationFailed

REGISTERS = {}


def autodiscover():
    import importlib

    for config in apps.get_app_configs():
        if config.name == __package__ or not module_has_submodule(config.module, "registers"):
            continue
        module = importlib.import_module(f"{config.name}.registers")
        for spec in getattr(module, "REGISTERS", ()):
            declare(spec)


def declare(spec):
    known = REGISTERS.get(spec.name)
    if known is not None and known != spec:
        raise ValueError(f"two registers are named {spec.name!r}")
    REGISTERS[spec.name] = spec


def register_choices():
    """The registers anyone who prints may choose on the registers page (not the 清查 ones)."""
    return [(spec.name, spec.title) for spec in REGISTERS.values() if spec.listed and not spec.inventory]


def inventory_choices(user):
    """The 清查 (账物核对) registers this user may print: the secrecy office's, offered apart."""
    return [(spec.name, spec.title) for spec in REGISTERS.values()
            if spec.listed and spec.inventory and spec.may_print is not None and spec.may_print(user)]


def get_spec(name):
    spec = REGISTERS.get(name)
    if spec is None:
        raise ValidationFailed({"register": f"未知的登记簿：{name}（可选：{', '.join(REGISTERS)}）"})
    return spec


def title_of(name):
    """The register's title, or its name when no app declares it any more (an old job's)."""
    spec = REGISTERS.get(name)
    return spec.title if spec else name
