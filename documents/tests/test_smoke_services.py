from documents.selectors import carrier_list_visible_to


def test_registrar_registers_and_reader_in_scope_sees_it(unit, register_carrier):
    carrier = register_carrier(level=3, scope_users=[unit.lisi])
    assert carrier.serial.endswith("-000001")
    assert carrier.mark == "机密★10年"
    assert list(carrier_list_visible_to(user=unit.lisi)) == [carrier]
    # 一般 clearance is below 机密 even though zhangsan's department is not in scope anyway.
    assert list(carrier_list_visible_to(user=unit.zhangsan)) == []
    assert list(carrier_list_visible_to(user=unit.sysadmin)) == []
