"""The registers' periodic job (notifications.jobs registry; beat entry "register-files-purge")."""
from notifications.jobs import job


@job("register_files_purge", description="删除超过保存时限仍未下载的登记簿文件（每小时）")
def register_files_purge(*, today, batch_size):
    # The limit is in hours, not days: the job reads the clock itself rather than `today`.
    from .services_files import register_files_purge as purge

    return purge(batch_size=batch_size)
