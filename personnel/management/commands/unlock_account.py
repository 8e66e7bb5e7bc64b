"""manage.py unlock_account <username>: the host operator unlocks an account locked by failed logins
(issue 11 §3) — e.g. the only 安全保密管理员's own, which nobody can unlock on screen."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from personnel.services_accounts import account_unlock_by_host_operator
from secrecy.errors import InvalidState


class Command(BaseCommand):
    help = "解锁因连续登录失败被锁定的账号（主机操作员使用，记入审计日志）"

    def add_arguments(self, parser):
        parser.add_argument("username", help="要解锁的账号的用户名")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的账号。")
        try:
            account_unlock_by_host_operator(user=user, command=f"manage.py unlock_account {username}")
        except InvalidState:
            self.stdout.write(f"账号“{username}”未被锁定，无需解锁。")
            return
        self.stdout.write(self.style.SUCCESS(f"账号“{username}”已解锁，可以重新登录。此次解锁已记入审计日志。"))
