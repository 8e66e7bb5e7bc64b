"""gunicorn settings for the web process (deploy/systemd/secrecy-web.service).

    gunicorn -c deploy/gunicorn.conf.py secrecy.wsgi

Every value can be changed in /etc/secrecy/secrecy.env without editing this file. Run from the
project directory (the unit sets WorkingDirectory) so `secrecy.wsgi` imports.
"""
import multiprocessing
import os

# nginx on the same host talks to 127.0.0.1:8000. TCP rather than a unix socket: over a socket
# REMOTE_ADDR is empty, and the audit log's source IP and the login slow-down both start from it
# (secrecy/client_ip.py). If nginx runs on another host, bind the address it reaches.
bind = os.environ.get("SECRECY_WEB_BIND", "127.0.0.1:8000")

# Sync workers: every request is a short database conversation (pages, not streams), and nginx
# buffers slow clients, so a worker is never held by a slow network. The usual rule for such a
# worker is 2 × cores + 1; deploy/RUNBOOK.md §8 says when to deviate (memory, PostgreSQL
# connections: each worker holds one persistent connection, SECRECY_DB_CONN_MAX_AGE).
workers = int(os.environ.get("SECRECY_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"

# Big registers render in the Celery worker (SECRECY_REGISTER_INLINE_MAX_ROWS); the largest
# register still rendered inside a request is at most 500 rows of PDF (305 rows: 6.1 s, DRILL.md).
# Anything slower than this is a fault, and the worker is replaced rather than left hanging.
timeout = int(os.environ.get("SECRECY_WEB_TIMEOUT", "60"))
# On `systemctl reload` / stop, requests in flight get this long to finish.
graceful_timeout = 30
# Only used behind nginx's keep-alive; sync workers ignore it (nginx ↔ gunicorn is one request per
# connection), kept for a switch to gthread.
keepalive = 5
# A worker that rendered a few inline PDFs (WeasyPrint) keeps its peak memory; recycling after a
# bounded number of requests returns it. Jitter keeps all workers from restarting together.
max_requests = int(os.environ.get("SECRECY_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The heartbeat file on tmpfs: on a disk-backed /tmp a slow fsync can make a healthy worker look
# silent (gunicorn's documentation, "Blocking os.fchmod").
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Which peers may tell gunicorn a request arrived over https (X-Forwarded-Proto). Django then
# sees request.is_secure() and does not redirect in a loop (SECURE_SSL_REDIRECT), and cookies
# stay Secure. The same list Django trusts for X-Forwarded-For, so one variable names the proxies;
# gunicorn's own default (loopback) while it is unset.
forwarded_allow_ips = os.environ.get("SECRECY_TRUSTED_PROXIES", "").strip() or "127.0.0.1,::1"
# Only the header nginx sets (deploy/nginx/secrecy.conf); the other two defaults are headers nginx
# passes through from the client unchanged, and a mismatch between them fails the request.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# The runtime control socket (gunicornc) is not needed: systemctl reload / restart do the job,
# and one socket fewer is one access path fewer on a classified host.
control_socket_disable = True

# Access log to stdout → journald (journalctl -u secrecy-web). The path only, never the query
# string: search terms and filters can quote a classified title. %(h)s is nginx; the client is
# X-Forwarded-For as nginx wrote it. The audit log, not this file, is the record of who did what.
accesslog = "-"
access_log_format = ('%(h)s client=%({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s '
                     '%(M)sms %(p)s')
errorlog = "-"
loglevel = os.environ.get("SECRECY_WEB_LOG_LEVEL", "info")
# Give the process a recognisable name in ps/top (setproctitle is optional; harmless without).
proc_name = "secrecy-web"
