import datetime as dt
import re

from django.core.exceptions import ValidationError


class LettersAndDigitsValidator:
    """SPEC §12: passwords contain both letters and digits."""

    def validate(self, password, user=None):
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise ValidationError("密码必须同时包含字母和数字。", code="password_letters_digits")

    def get_help_text(self):
        return "密码必须同时包含字母和数字。"


# The People's Republic's own documents start on 1949-10-01: an earlier 收文/发文日期 or 起算日 is
# a typing error (0001-01-01 would make a carrier "expired at birth", its period long over).
EARLIEST_DOCUMENT_DATE = dt.date(1949, 10, 1)


def not_before_1949_10_01(value):
    """For document dates (收文/发文日期, 制发日/起算日, 解密时间, 同意日期)."""
    if value is not None and value < EARLIEST_DOCUMENT_DATE:
        raise ValidationError("日期不能早于1949年10月1日", code="date_too_early")
