"""python manage.py audit_key --create-if-missing: create the audit chain's HMAC key file
(settings.SECRECY_AUDIT_KEY_FILE, 32 random bytes as hex, mode 0600) unless it exists. `make
setup` runs it, so `make run` and `make test` have a key. An existing key is never replaced: a
new key would make every keyed event fail verification. Without option: report the key's state."""
from django.core.management.base import BaseCommand, CommandError

from audits.chain import create_key_file, key_path, key_problem


class Command(BaseCommand):
    help = "审计密钥：--create-if-missing 在密钥文件不存在时生成（权限 0600）；不带参数时检查密钥文件。"
    # The system check audits.E001 reports a missing key; this command is how it gets fixed.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--create-if-missing", action="store_true", dest="create",
                            help="密钥文件不存在时生成新密钥；已存在时不做任何改动")

    def handle(self, *args, create=False, **options):
        path = key_path()
        if create and create_key_file(path):
            self.stdout.write(f"已生成审计密钥文件 {path}（权限 0600）。请将其与数据库分开备份。")
            return
        problem = key_problem()
        if problem:
            raise CommandError(problem)
        self.stdout.write(f"审计密钥文件 {path} 可用。")
