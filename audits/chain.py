"""The keys and digests of the audit hash chain, and the heads file (issue 11 §4).

Why keyed: a plain hash chain only proves that nobody edited the log *without recomputing the
hashes*; anyone with write access to the database can edit an event, recompute every later hash
and the head, and the walk says 完整. An HMAC needs the key, which lives in a file outside the
database (settings.SECRECY_AUDIT_KEY_FILE), so a database-only attacker can no longer forge.

Why also the heads file: someone holding the key too (root on the host) could still rewrite the
whole chain. The daily head (seq, hash, algorithm) is therefore appended to a file outside the
database (settings.SECRECY_AUDIT_HEADS_FILE) and printed on the daily summary the auditor signs;
`verify_audit --heads` compares every recorded head with the chain.

Algorithms (recorded per event in AuditEvent.alg):
* "sha256"       — legacy rows written before the upgrade: SHA-256 over prev_hash + payload.
* "hmac-sm3"     — HMAC (RFC 2104, Python's hmac) with SM3 (GB/T 32905-2016), preferred because
                   Chinese government systems are assessed against the 国密 algorithms (SPEC §15).
* "hmac-sha256"  — the same with SHA-256, where the local OpenSSL offers no SM3.
"""
import datetime as dt
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

LEGACY_ALG = "sha256"
HMAC_SM3 = "hmac-sm3"
HMAC_SHA256 = "hmac-sha256"
KEYED_ALGS = (HMAC_SM3, HMAC_SHA256)
ALG_LABELS = {LEGACY_ALG: "SHA-256（未加密钥的旧事件）", HMAC_SM3: "HMAC-SM3", HMAC_SHA256: "HMAC-SHA256"}

KEY_BYTES = 32


def sm3_available():
    return "sm3" in hashlib.algorithms_available


def keyed_alg():
    """The algorithm new events are written with: SM3 wherever OpenSSL has it."""
    return HMAC_SM3 if sm3_available() else HMAC_SHA256


def _digestmod(alg):
    if alg == HMAC_SM3:
        if not sm3_available():
            raise ImproperlyConfigured("本机 OpenSSL 不支持 SM3，无法计算或校验 HMAC-SM3 审计事件")
        return functools.partial(hashlib.new, "sm3")
    if alg == HMAC_SHA256:
        return hashlib.sha256
    raise ValueError(f"unknown keyed audit algorithm: {alg!r}")


def digest(alg, message, key=None):
    """The hex digest of one event's message (prev_hash + canonical payload, UTF-8)."""
    data = message.encode("utf-8")
    if alg == LEGACY_ALG:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key if key is not None else audit_key(), data, _digestmod(alg)).hexdigest()


# ------------------------------------------------------------------------------------- the key


def key_path():
    return Path(settings.SECRECY_AUDIT_KEY_FILE)


def create_key_file(path=None):
    """Write a fresh random key (hex text, so it can also be backed up on paper) readable by the
    owner only. O_EXCL: never overwrites an existing key — a replaced key would make every keyed
    event fail verification. Returns True when a key was created, False when one existed."""
    path = Path(path or key_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    try:
        os.write(fd, (secrets.token_bytes(KEY_BYTES).hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    # The mode given to os.open is filtered by the umask; make it exactly 0600 whatever the umask.
    os.chmod(path, 0o600)
    return True


def _parse_key(path, raw):
    text = raw.decode("ascii", "replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ImproperlyConfigured(f"审计密钥文件 {path} 的内容不是十六进制文本") from None
    if len(key) < KEY_BYTES:
        raise ImproperlyConfigured(f"审计密钥文件 {path} 中的密钥短于 {KEY_BYTES} 字节")
    return key


_cache = {}


def audit_key():
    """The HMAC key from SECRECY_AUDIT_KEY_FILE.

    Missing key: with DEBUG on (development) it is created on first use; in production the
    write fails with ImproperlyConfigured instead — silently falling back to unkeyed hashing
    would quietly undo the protection, and silently creating a new key there would hide a lost
    key (restored database without its key) until the next verification. The system check
    audits.E001 reports the same at start-up (manage.py check / migrate).
    """
    path = key_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                f"审计密钥文件 {path} 不存在。请恢复备份的密钥文件，或在首次部署时运行 "
                "`manage.py audit_key --create-if-missing` 生成（SECRECY_AUDIT_KEY_FILE）") from None
        if create_key_file(path):
            logger.warning("created the audit chain key %s (DEBUG); back it up separately from the database", path)
        stat = path.stat()
    stamp = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
    key = _cache.get(stamp)
    if key is None:
        key = _parse_key(path, path.read_bytes())
        _cache.clear()
        _cache[stamp] = key
    return key


def key_problem():
    """A sentence naming what is wrong with the key file, or "" (for the system check)."""
    path = key_path()
    if not path.exists():
        return f"审计密钥文件 {path} 不存在"
    try:
        _parse_key(path, path.read_bytes())
    except ImproperlyConfigured as error:
        return str(error)
    except OSError as error:
        return f"无法读取审计密钥文件 {path}：{error.strerror}"
    return ""


# ---------------------------------------------------------------------------------- heads file


def heads_path():
    return Path(settings.SECRECY_AUDIT_HEADS_FILE)


def append_head(day, seq, head_hash, alg, path=None):
    """Append one day's head to the heads file: "date<TAB>seq<TAB>hash<TAB>alg". O_APPEND only,
    never rewritten (operators may add `chattr +a`); fsynced so a crash does not lose the line."""
    path = Path(path or heads_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    line = f"{day.isoformat()}\t{int(seq)}\t{head_hash}\t{alg}\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


class HeadsFileError(ValueError):
    pass


def read_heads(path):
    """The recorded heads as (line number, date, seq, hash, alg) tuples; blank lines and
    "#" comments are skipped; a malformed line is a HeadsFileError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HeadsFileError(f"链头记录文件 {path} 不存在") from None
    except (OSError, UnicodeDecodeError) as error:
        raise HeadsFileError(f"无法读取链头记录文件 {path}：{error}") from None
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            day, seq, head_hash, alg = parts
            day, seq = dt.date.fromisoformat(day), int(seq)
            if seq < 1 or len(head_hash) != 64 or (alg != LEGACY_ALG and alg not in KEYED_ALGS):
                raise ValueError
            int(head_hash, 16)
        except ValueError:
            raise HeadsFileError(f"链头记录文件 {path} 第 {number} 行格式错误（应为：日期 序号 哈希 算法）") from None
        heads.append((number, day, seq, head_hash.lower(), alg))
    return heads


# ---------------------------------------------------------------------- the hash rule

def event_hash(prev_hash, payload, key=None):
    """The chain's one hash rule. A payload with an "alg" (keyed events) is MACed
    with the audit key, and the algorithm is part of what is MACed, so it cannot be relabelled;
    a payload without one is a legacy row: plain SHA-256, exactly as before issue 11."""
    body = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return digest(payload.get("alg", LEGACY_ALG), prev_hash + body, key)


# The fields the hash covers, in the names AuditEvent.objects.values() returns them (plus "alg"
# for keyed events, see payload_of).
HASHED_FIELDS = ("seq", "at", "actor_id", "actor_username", "action", "target_type_id", "target_id", "target_repr",
                 "level", "result", "source_ip", "detail")


def payload_of(row):
    """The hashed payload of one event given as a mapping of HASHED_FIELDS and optionally "alg"
    (a values() row); the writer and the verifier (audits.verify) build it with this one function.
    Legacy rows hash exactly the fields they always did, so their stored hashes stay valid."""
    payload = {name: row[name] for name in HASHED_FIELDS}
    payload["at"] = row["at"].isoformat()
    alg = row.get("alg") or LEGACY_ALG
    if alg != LEGACY_ALG:
        payload["alg"] = alg
    return payload


def event_hash_of(prev_hash, row, key=None):
    return event_hash(prev_hash, payload_of(row), key)


def event_payload(event):
    """The fields the hash covers."""
    return payload_of({name: getattr(event, name) for name in HASHED_FIELDS + ("alg",)})
