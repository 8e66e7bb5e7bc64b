"""The register command (manage.py register) for the registers of one object: it asks for that
object, and refuses an object option given to a register that is not about one."""
import pytest
from django.core.management import CommandError, call_command


@pytest.mark.parametrize("args,message", [
    (["destruction"], "销毁清单须指定批次：--batch <批次编号>"),
    (["circulation"], "传阅单须指定传阅编号：--circulation <传阅编号>"),
    (["meeting"], "涉密会议保密管理记录须指定会议编号：--meeting <会议编号>"),
    (["ledger", "--batch", "1"], "--batch 只用于销毁清单（destruction），不用于 ledger"),
    (["ledger", "--meeting", "1"], "--meeting 只用于涉密会议保密管理记录（meeting），不用于 ledger"),
])
def test_the_command_asks_for_the_one_object_a_register_is_about_and_only_for_it(unit, tmp_path, args, message):
    with pytest.raises(CommandError) as caught:
        call_command("register", *args, "--as", "baomi", "-o", str(tmp_path / "x.pdf"))
    assert str(caught.value) == message
    assert not (tmp_path / "x.pdf").exists()
