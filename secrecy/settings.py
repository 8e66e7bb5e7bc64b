"""Project settings. Every value comes from one environment reader (SECRECY_* variables).

The defaults run everything on one fresh machine: SQLite, Celery over a filesystem broker and
console e-mail (SPEC §13). Production sets SECRECY_DEBUG=0, SECRECY_SECRET_KEY,
SECRECY_DATABASE_URL (PostgreSQL) and SECRECY_REDIS_URL.
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("SECRECY_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# The SQLite file, the filesystem broker and rendered registers live here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("SECRECY_DEBUG", default=True)
# A missing secret key in production fails at start (SPEC §13); the development key is only
# accepted while DEBUG is on. SECRECY_SECRET_KEY_FILE names a file holding the key instead (so it
# is not in every process's environment): `make run` generates var/secret.key (mode 0600) once.
_secret_key_file = env.str("SECRECY_SECRET_KEY_FILE", default="")
if not env.str("SECRECY_SECRET_KEY", default="") and _secret_key_file:
    SECRET_KEY = Path(_secret_key_file).read_text(encoding="utf-8").strip()
    if not SECRET_KEY:
        raise ImproperlyConfigured(f"SECRECY_SECRET_KEY_FILE {_secret_key_file} is empty")
elif DEBUG:
    SECRET_KEY = env.str("SECRECY_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
else:
    SECRET_KEY = env.str("SECRECY_SECRET_KEY")

ALLOWED_HOSTS = env.list("SECRECY_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "personnel.apps.SecrecyAdminConfig",  # the admin, for the 系统管理员 only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "guardian",
    "simple_history",
    "audits",
    "personnel",
    "documents",
    "approvals",
    "meetings",
    "oversight",
    "notifications",
    "registers",
    "portal",
    "demo",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "audits.middleware.RequestContextMiddleware",
    "personnel.middleware.SessionLimitsMiddleware",
    "personnel.middleware.PasswordChangeRequiredMiddleware",
    "secrecy.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes asks: it turns a lockout into the login page with the reason.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "secrecy.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "secrecy.context_processors.site",
                "portal.context_processors.navigation",
                "meetings.context_processors.navigation",
                "personnel.context_processors.navigation",
                "personnel.context_processors_accounts.navigation",
                "audits.context_processors.navigation",
                "oversight.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "secrecy.wsgi.application"

DATABASES = {
    "default": env.db("SECRECY_DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'secrecy.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing,
    # and take the write lock at BEGIN so read-then-write transactions cannot deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("SECRECY_DB_CONN_MAX_AGE", default=60)
    if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
        # Set on this application's own connections, never server-wide (issue 12): the list's
        # queries are short index walks whose cost estimates can still cross the JIT threshold, and
        # compiling them cost seconds for a page that runs in milliseconds.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c jit=off").strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked account before any password is checked (SPEC §12).
    "personnel.auth.LockoutBackend",
    # ModelBackend, loading the person and password state with the user (one query per request).
    "personnel.auth.PersonBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user is not needed: anonymous users see nothing.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# Argon2id for every new password (issue 11 §5); the PBKDF2 hashers stay so passwords set before
# still verify, and Django re-hashes them with Argon2id at the next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "secrecy.validators.LettersAndDigitsValidator"},
    {"NAME": "personnel.validators.ClearanceLengthValidator"},
    {"NAME": "personnel.validators.PasswordAgeRecorder"},
]

# Lockout (SPEC §12, cfg; issue 11 §3): after this many failed logins in a row the account is
# locked — also against the right password — for a cool-off time, or until the 安全保密管理员
# (or the host operator: manage.py unlock_account) unlocks it earlier. A lock for ever would let
# anyone shut out the only 安全保密管理员 with five wrong passwords.
AXES_FAILURE_LIMIT = env.int("SECRECY_LOCKOUT_FAILURES", default=5)
SECRECY_LOCKOUT_COOLOFF_MINUTES = env.int("SECRECY_LOCKOUT_COOLOFF_MINUTES", default=30)
if SECRECY_LOCKOUT_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("SECRECY_LOCKOUT_COOLOFF_MINUTES must be at least 1 (a lock without end is a "
                               "denial-of-service lever)")
AXES_COOLOFF_TIME = timedelta(minutes=SECRECY_LOCKOUT_COOLOFF_MINUTES)
# A refused attempt during the lock does not start the cool-off again: otherwise the owner trying
# the right password (or anyone, every 29 minutes) would keep the account locked.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "personnel.auth.lockout_response"
# The same client address as the audit log's source_ip (X-Forwarded-For only behind a trusted proxy).
AXES_CLIENT_IP_CALLABLE = "secrecy.client_ip.client_ip"
SECRECY_TRUSTED_PROXIES = env.list("SECRECY_TRUSTED_PROXIES", default=[])
# Logins and failures are in the audit hash chain already; axes keeps only its counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
# Per client address, across accounts (personnel.throttle): past this many failed logins within
# the window, each further attempt must wait — 1 s, then doubling up to the cap — and is refused
# unchecked before then. Slowed, never locked: behind one proxy or NAT a whole unit shares the
# address, so an address lock would be the very outage the per-account cool-off avoids.
SECRECY_LOGIN_THROTTLE_FAILURES = env.int("SECRECY_LOGIN_THROTTLE_FAILURES", default=30)
SECRECY_LOGIN_THROTTLE_WINDOW_MINUTES = env.int("SECRECY_LOGIN_THROTTLE_WINDOW_MINUTES", default=15)
SECRECY_LOGIN_THROTTLE_MAX_DELAY_SECONDS = env.int("SECRECY_LOGIN_THROTTLE_MAX_DELAY_SECONDS", default=60)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# secrecy/formats/zh_Hans: dates print as YYYY-MM-DD (issue 14 §8).
FORMAT_MODULE_PATH = ["secrecy.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Sessions: idle timeout and absolute lifetime (SPEC §12, cfg) are enforced — and audited — by
# personnel.middleware.SessionLimitsMiddleware; the stored session lives as long as the longest.
SECRECY_SESSION_IDLE_SECONDS = env.int("SECRECY_SESSION_IDLE_SECONDS", default=10 * 60)
SECRECY_SESSION_MAX_SECONDS = env.int("SECRECY_SESSION_MAX_SECONDS", default=8 * 3600)
SESSION_COOKIE_AGE = SECRECY_SESSION_MAX_SECONDS
# The session is written when something in it changes; the idle clock (personnel.middleware)
# moves its "last seen" mark at most every SESSION_SEEN_RESOLUTION_SECONDS, so a busy user's
# pages do not each write the session row (issue 12), and the idle timeout can only end early,
# never late, by that much.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECRECY_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env.bool("SECRECY_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECRECY_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = env.str("SECRECY_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("SECRECY_FROM_EMAIL", default="secrecy@localhost")

# Celery: Redis when SECRECY_REDIS_URL is set, otherwise a local filesystem broker so a fresh
# machine needs no services (SPEC §13).
REDIS_URL = env.str("SECRECY_REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
for _sub in ("queue", "processed", "results", "control"):
    (CELERY_BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("SECRECY_CELERY_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The periodic jobs (SPEC §7): a handful of static entries, each one batched scan of the whole due
# set — never one entry or task per carrier. A new job is a function registered in <app>/jobs.py
# (see notifications/jobs.py) plus one entry here calling notifications.tasks.run_job. Every job
# is idempotent and asks "what is due today", so a missed run (beat or workers down) is caught
# up by the next one; beat also runs a missed crontab entry once when it starts again (the
# schedule file above keeps the last run). `expires` keeps a stopped worker from finding a pile
# of identical messages when it comes back.
SECRECY_REMINDER_HOUR = env.int("SECRECY_REMINDER_HOUR", default=8)
CELERY_BEAT_SCHEDULE = {
    "deliver-outbox": {
        "task": "notifications.tasks.deliver_outbox",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "overdue-reminders": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=0),
        "args": ("overdue_reminders",),
        "options": {"expires": 12 * 3600},
    },
    "circulation-overdue": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=5),
        "args": ("circulation_overdue",),
        "options": {"expires": 12 * 3600},
    },
    # Just after local midnight, so the mark changes at the start of the first unclassified day.
    "declassify-expired": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=0, minute=30),
        "args": ("declassify_expired",),
        "options": {"expires": 12 * 3600},
    },
    "expiry-reminders": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=10),
        "args": ("expiry_reminders",),
        "options": {"expires": 12 * 3600},
    },
    # 每年审核 (SPEC §7, January): daily from 5 January to the month's end; the job's key
    # "annual_review:<year>" notifies each 定密责任人 once a year, the later runs catch up.
    "annual-review": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(month_of_year=1, day_of_month="5-31", hour=SECRECY_REMINDER_HOUR, minute=20),
        "args": ("annual_review",),
        "options": {"expires": 12 * 3600},
    },
    # SPEC §8: 复审 due, yearly training hours, 脱密期 ending — each its own batched daily scan.
    "review-reminders": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=30),
        "args": ("review_reminders",),
        "options": {"expires": 12 * 3600},
    },
    "training-reminders": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=35),
        "args": ("training_reminders",),
        "options": {"expires": 12 * 3600},
    },
    "password-rotation": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=40),
        "args": ("password_rotation",),
        "options": {"expires": 12 * 3600},
    },
    "declassify-period": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=0, minute=40),
        "args": ("declassify_period",),
        "options": {"expires": 12 * 3600},
    },
    # SPEC §7, §10: rectification items due soon or overdue (daily); incidents nearing or past the
    # 24-hour upward-report deadline (REG24 art. 61) — hourly, so "6 hours left" is caught in time.
    "rectification-reminders": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=SECRECY_REMINDER_HOUR, minute=45),
        "args": ("rectification_reminders",),
        "options": {"expires": 12 * 3600},
    },
    "incident-deadline": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(minute=15),
        "args": ("incident_deadline",),
        "options": {"expires": 50 * 60},
    },
    # Issue 14 §7: rendered register files left on the server past SECRECY["RENDER_TTL_HOURS"]
    # (hourly, so a file outlives its limit by an hour at most).
    "register-files-purge": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(minute=25),
        "args": ("register_files_purge",),
        "options": {"expires": 50 * 60},
    },
    # SPEC §10: yesterday's audit summary with the chain head at its end, for the 安全审计员.
    "audit-daily-summary": {
        "task": "notifications.tasks.run_job",
        "schedule": crontab(hour=1, minute=0),
        "args": ("audit_daily_summary",),
        "options": {"expires": 12 * 3600},
    },
}

# Issue 11 §4: the audit chain's HMAC key and the append-only file of daily chain heads, both kept
# outside the database (audits/chain.py). `make setup` creates the key (0600) when missing; in
# production a missing key stops every audited write instead of falling back to unkeyed hashing.
SECRECY_AUDIT_KEY_FILE = Path(env.str("SECRECY_AUDIT_KEY_FILE", default=str(VAR_DIR / "audit.key")))
SECRECY_AUDIT_HEADS_FILE = Path(env.str("SECRECY_AUDIT_HEADS_FILE", default=str(VAR_DIR / "audit-heads.log")))

# Business settings an administrator may change (SPEC "cfg" values).
SECRECY = {
    # A registered carrier's serial is "<year>-<6 digits>" per registry and year.
    "REGISTRY_CODE": env.str("SECRECY_REGISTRY_CODE", default="main"),
    # Above this many rows a register renders in the Celery worker instead of the request.
    "REGISTER_INLINE_MAX_ROWS": env.int("SECRECY_REGISTER_INLINE_MAX_ROWS", default=500),
    # A register job still queued or running this long after it was asked for is marked failed
    # (a worker that died or a lost broker message must not leave its page spinning forever).
    "REGISTER_JOB_TIMEOUT_MINUTES": env.int("SECRECY_REGISTER_JOB_TIMEOUT_MINUTES", default=15),
    # A rendered register file holds classified text: removed from the server once downloaded, or
    # this many hours after it was made if nobody fetched it (issue 14 §7; registers.jobs).
    "RENDER_TTL_HOURS": env.int("SECRECY_RENDER_TTL_HOURS", default=24),
    # Lists stop counting exactly past this many rows (COUNT(*) crawls on big tables).
    "LIST_COUNT_CAP": env.int("SECRECY_LIST_COUNT_CAP", default=10000),
    # A search term's matches are counted up to this many ("超过 2000 条": a term that common is
    # narrowed, not paged through). No index can count text matches among a reader's grants, so
    # the count walks them; at 10,000 that walk was half a second on a million carriers (issue 12).
    "SEARCH_COUNT_CAP": env.int("SECRECY_SEARCH_COUNT_CAP", default=2000),
    "LIST_PAGE_SIZE": env.int("SECRECY_LIST_PAGE_SIZE", default=50),
    "UNIT_NAME": env.str("SECRECY_UNIT_NAME", default="示范单位"),
    # SPEC §5: from this level up, a request of the kind needs the 主要负责人 (absent: never).
    "APPROVAL_PRINCIPAL_FROM_LEVEL": {"lend": 4, "copy": 4},
    # Links in e-mails point here (the address users open the system at, on the intranet).
    "BASE_URL": env.str("SECRECY_BASE_URL", default="http://127.0.0.1:8000"),
    # Periodic jobs read this many due rows per batch (a fixed number of queries per batch).
    "JOB_BATCH_SIZE": env.int("SECRECY_JOB_BATCH_SIZE", default=200),
    # 自行解密 batches: a few set-based statements each (UPDATE, INSERT … SELECT), so a bigger batch
    # is fewer round trips; 2,000 rows stay locked for a fraction of a second (issue 12).
    "DECLASSIFY_BATCH_SIZE": env.int("SECRECY_DECLASSIFY_BATCH_SIZE", default=2000),
    # E-mails sent per delivery batch (their rows stay locked while the mail server answers) and
    # how often a failing e-mail is tried before it is left with its error for the administrator.
    "OUTBOX_BATCH_SIZE": env.int("SECRECY_OUTBOX_BATCH_SIZE", default=50),
    "OUTBOX_MAX_ATTEMPTS": env.int("SECRECY_OUTBOX_MAX_ATTEMPTS", default=10),
    # SPEC §6: days a circulation reader has from being handed the carrier, by level (绝密 3,
    # others 7); keys are levels as text, "default" for any other.
    # SPEC §7: days before declassify_on that the 定密责任人 is reminded to decide an extension.
    "EXPIRY_REMINDER_DAYS": env.int("SECRECY_EXPIRY_REMINDER_DAYS", default=30),
    "CIRCULATION_DAYS": {"4": env.int("SECRECY_CIRCULATION_DAYS_TOP_SECRET", default=3),
                         "default": env.int("SECRECY_CIRCULATION_DAYS", default=7)},
    # SPEC §8 涉密人员. 定期复审 interval by class in years (REG24 art. 50 gives none; the only
    # figure found is 核心 1 / 重要 3 / 一般 5 — regulations_cn.md §6, unconfirmed, hence cfg),
    # and how many days before it is due the person and 保密办 are reminded.
    "REVIEW_INTERVAL_YEARS": {"core": env.int("SECRECY_REVIEW_YEARS_CORE", default=1),
                              "important": env.int("SECRECY_REVIEW_YEARS_IMPORTANT", default=3),
                              "general": env.int("SECRECY_REVIEW_YEARS_GENERAL", default=5)},
    "REVIEW_REMINDER_DAYS": env.int("SECRECY_REVIEW_REMINDER_DAYS", default=30),
    # Yearly 保密教育培训 hours (QA item 37: 每年不少于 4 个学时) and the day (MM-DD) from which a
    # person still short of them is reminded, once a year.
    "TRAINING_HOURS_PER_YEAR": env.float("SECRECY_TRAINING_HOURS_PER_YEAR", default=4.0),
    "TRAINING_CHECK_DATE": env.str("SECRECY_TRAINING_CHECK_DATE", default="11-01"),
    # 脱密期 in years by class (SPEC §8: 核心 3, 重要 2, 一般 1) and the reminder before it ends.
    "DECLASSIFY_PERIOD_YEARS": {"core": env.int("SECRECY_DECLASSIFY_YEARS_CORE", default=3),
                                "important": env.int("SECRECY_DECLASSIFY_YEARS_IMPORTANT", default=2),
                                "general": env.int("SECRECY_DECLASSIFY_YEARS_GENERAL", default=1)},
    "DECLASSIFY_END_REMINDER_DAYS": env.int("SECRECY_DECLASSIFY_END_REMINDER_DAYS", default=30),
    # SPEC §12: session limits (see SESSION_COOKIE_AGE above) and the password rotation reminder.
    "SESSION_IDLE_SECONDS": SECRECY_SESSION_IDLE_SECONDS,
    "SESSION_MAX_SECONDS": SECRECY_SESSION_MAX_SECONDS,
    "PASSWORD_ROTATION_DAYS": env.int("SECRECY_PASSWORD_ROTATION_DAYS", default=30),
    # Issue 11 §5: a new password may not be any of the account's last this many (current included).
    "PASSWORD_HISTORY_COUNT": env.int("SECRECY_PASSWORD_HISTORY_COUNT", default=5),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("SECRECY_LOG_LEVEL", default="WARNING")},
}
