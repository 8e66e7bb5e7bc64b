"""Rendered register files leave the server (issue 14 §7): a job's file is removed once its
requester downloads it (the download audited), or by the hourly job once it is older than
SECRECY["RENDER_TTL_HOURS"] undownloaded; a fresh one is kept; the job row stays and its page says
the file is gone and offers to render again; the job is idempotent; rendering leaves nothing in
the temporary folder, and a stray file no job keeps is swept."""
import os
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from audits.models import AuditEvent
from notifications.jobs import registered_jobs, run_job
from registers import services as register_services
from registers.models import RegisterJob, RegisterJobStatus
from registers.services_render import register_job_run


@pytest.fixture
def carriers(unit, register_carrier):
    return [register_carrier(level=level, title=f"登记簿文件测试{level}", copy_number=level)
            for level in (2, 3)]


def rendered_job(user, fmt="xlsx", **filters):
    """A job as the worker leaves it: queued by the request, rendered by register_job_run."""
    job = register_services.register_job_create(user=user, name="ledger", fmt=fmt, filters=filters)
    job = register_job_run(job_id=job.pk)
    assert job.status == RegisterJobStatus.DONE, job.error
    return job


def file_of(job):
    return Path(django_settings.MEDIA_ROOT) / job.file_path


def as_user(user):
    client = Client()
    client.force_login(user)
    return client


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_a_downloaded_file_is_gone_the_download_is_audited_and_the_page_offers_to_render_again(unit, carriers):
    job = rendered_job(unit.mishu, level="3")
    assert file_of(job).is_file()
    client = as_user(unit.mishu)
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert 'id="job-file-link"' in page and "下载一次后即从服务器删除" in page

    response = client.get(reverse("registers:job_file", args=[job.pk]))
    content = b"".join(response.streaming_content)
    assert response.status_code == 200 and content.startswith(b"PK")  # the whole XLSX, streamed
    assert not file_of(job).exists()
    download = events("register.download")
    assert len(download) == 1
    assert (download[0].actor, download[0].target_id, download[0].level) == (unit.mishu, job.pk, 3)
    assert download[0].detail["filters"] == {"level": "3"}

    job.refresh_from_db()
    assert (job.status, job.file_removed_reason) == (RegisterJobStatus.DONE, "downloaded") and job.file_removed_at
    assert client.get(reverse("registers:job_file", args=[job.pk])).status_code == 404
    assert len(events("register.download")) == 1
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert 'id="job-file-link"' not in page and 'id="file-removed"' in page and "已下载" in page
    assert 'name="register" value="ledger"' in page and 'name="level" value="3"' in page
    assert "（文件已删除）" in client.get(reverse("registers:index")).content.decode()


def test_nobody_else_downloads_or_removes_the_file(unit, carriers):
    job = rendered_job(unit.mishu)
    for who in ("lisi", "baomi", "auditor"):
        assert as_user(unit[who]).get(reverse("registers:job_file", args=[job.pk])).status_code == 404
    assert file_of(job).is_file() and not events("register.download")


def test_an_undownloaded_file_past_the_ttl_is_removed_by_the_job_and_a_fresh_one_is_kept(unit, carriers, clock):
    old = rendered_job(unit.mishu)
    clock.advance(hours=django_settings.SECRECY["RENDER_TTL_HOURS"], minutes=1)
    fresh = rendered_job(unit.mishu, fmt="xlsx", level="2")

    assert run_job("register_files_purge") == {"removed": 1, "orphans": 0}
    assert not file_of(old).exists() and file_of(fresh).is_file()
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.file_removed_reason == "expired" and old.file_removed_at and old.status == RegisterJobStatus.DONE
    assert fresh.file_kept
    removal = events("register.file_remove")
    assert [(e.actor_id, e.target_id, e.detail["reason"]) for e in removal] == [(None, old.pk, "expired")]
    assert RegisterJob.objects.count() == 2  # the job rows stay
    page = as_user(unit.mishu).get(reverse("registers:job", args=[old.pk])).content.decode()
    assert 'id="file-removed"' in page and "超过保存时限" in page

    # Idempotent: a second run (or one beat and one manual run) removes and records nothing more.
    assert run_job("register_files_purge") == {"removed": 0, "orphans": 0}
    assert len(events("register.file_remove")) == 1
    # The fresh one goes once it is past the limit too.
    clock.advance(hours=django_settings.SECRECY["RENDER_TTL_HOURS"], minutes=1)
    assert run_job("register_files_purge") == {"removed": 1, "orphans": 0}
    assert not file_of(fresh).exists()


def test_the_limit_is_a_setting(unit, carriers, clock, settings):
    settings.SECRECY = {**settings.SECRECY, "RENDER_TTL_HOURS": 2}
    job = rendered_job(unit.mishu)
    clock.advance(hours=1)
    assert run_job("register_files_purge")["removed"] == 0 and file_of(job).is_file()
    clock.advance(hours=1, minutes=1)
    assert run_job("register_files_purge")["removed"] == 1 and not file_of(job).exists()


def test_a_file_no_job_keeps_is_swept_once_past_the_limit(unit, carriers):
    job = rendered_job(unit.mishu)
    folder = file_of(job).parent
    stray_old, stray_new = folder / "999-deadbeef.pdf", folder / "998-cafebabe.xlsx"
    for stray in (stray_old, stray_new):
        stray.write_bytes(b"classified")
    hours = django_settings.SECRECY["RENDER_TTL_HOURS"] + 1
    past = time.time() - hours * 3600
    os.utime(stray_old, (past, past))
    os.utime(file_of(job), (past, past))  # an old mtime alone does not remove a kept job's file

    assert run_job("register_files_purge") == {"removed": 0, "orphans": 1}
    assert not stray_old.exists() and stray_new.exists() and file_of(job).is_file()


@pytest.mark.parametrize("fmt", ["pdf", "xlsx"])
def test_rendering_leaves_no_copy_in_the_temporary_folder(unit, carriers, tmp_path, monkeypatch, fmt):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    job = rendered_job(unit.mishu, fmt=fmt)
    assert list(scratch.iterdir()) == []
    assert [p.name for p in file_of(job).parent.iterdir()] == [file_of(job).name]


def test_the_purge_is_a_registered_job_with_a_beat_entry():
    entry = django_settings.CELERY_BEAT_SCHEDULE["register-files-purge"]
    assert entry["task"] == "notifications.tasks.run_job"
    assert entry["args"][0] in {j.name for j in registered_jobs()} and entry["args"][0] == "register_files_purge"


def test_a_job_whose_file_is_missing_says_so_and_offers_to_render_again(unit, carriers):
    """Backups leave rendered files out (deploy/secrecy-backup): after a restore the row is back, the file not."""
    job = rendered_job(unit.mishu)
    file_of(job).unlink()
    client = as_user(unit.mishu)
    page = client.get(reverse("registers:job", args=[job.pk])).content.decode()
    assert 'id="job-file-link"' not in page and "文件已不在服务器上" in page and 'id="render-again"' in page
    assert client.get(reverse("registers:job_file", args=[job.pk])).status_code == 404
    assert not events("register.download")
