"""Test e-mail backends: a slow one (so concurrent deliveries overlap) and a failing one."""
import threading
import time

from django.core.mail.backends.base import BaseEmailBackend

sent = []
_lock = threading.Lock()


class SlowBackend(BaseEmailBackend):
    """Records every message (thread-safe) and takes a little time per message, like SMTP."""

    def send_messages(self, email_messages):
        for message in email_messages:
            time.sleep(0.005)
            with _lock:
                sent.append(tuple(message.to))
        return len(email_messages)


class DownBackend(BaseEmailBackend):
    """A mail server that does not answer."""

    def open(self):
        raise ConnectionRefusedError("mail server down")

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")
