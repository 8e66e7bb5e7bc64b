"""The top menu (issue 14 §3 and §8): an entry only for who may use its page, grouped so that it
fits one line; checked for every role of the demo cast."""
import re

import pytest
from django.urls import reverse

CAST = ("mishu", "zhuren", "lingdao", "baomi", "lisi", "zhangsan", "wangwu", "sysadmin", "secadmin", "auditor")


def menu_of(client, user):
    client.force_login(user)
    html = client.get("/").content.decode()
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return nav, dict(re.findall(r'<a href="([^"]+)"[^>]*id="(nav-[a-z-]+)"', nav))


@pytest.mark.parametrize("name", CAST)
def test_every_menu_entry_opens_for_the_role_that_sees_it(client, unit, name):
    nav, entries = menu_of(client, unit[name])
    assert entries, name
    for url, entry in entries.items():
        assert client.get(url).status_code == 200, f"{name}: {entry} {url}"


def test_a_reader_without_clearance_sees_neither_destruction_nor_my_requests(client, unit):
    nav, entries = menu_of(client, unit.wangwu)
    assert "nav-destroy" not in entries.values() and "nav-mine" not in entries.values()
    assert "销毁" not in nav and "我的申请" not in nav
    # The pages answer as the menu does.
    assert client.get(reverse("approvals:destroy_list")).status_code == 404
    assert client.get(reverse("approvals:mine")).status_code == 404


def test_cleared_readers_keep_my_requests_and_only_the_carrier_roles_see_destruction(client, unit):
    _, entries = menu_of(client, unit.lisi)
    assert "nav-mine" in entries.values() and "nav-destroy" not in entries.values()
    for name in ("mishu", "lingdao", "baomi"):
        _, entries = menu_of(client, unit[name])
        assert "nav-destroy" in entries.values(), name


def test_the_registrars_menu_is_grouped(client, unit):
    nav, entries = menu_of(client, unit.mishu)
    groups = re.findall(r'<button type="button" class="navgroup-toggle"[^>]*aria-expanded="false"'
                        r'[^>]*aria-controls="navmenu-([a-z]+)">([^<]+)<', nav)
    assert [label for _, label in groups] == ["载体", "审批"]
    # The 载体 group holds the registration screens; 审批 the queue.
    carriers = re.search(r'id="navmenu-carriers"(.*?)</div>', nav, re.S).group(1)
    assert "收文登记" in carriers and "发文登记" in carriers and "载体台账" in carriers
    assert "审批办理" in re.search(r'id="navmenu-approvals"(.*?)</div>', nav, re.S).group(1)
    # A group of one entry is a plain link.
    assert 'id="nav-meetings"' in nav and "navmenu-meetings" not in nav


def test_the_administrators_menus_stay_flat_and_their_own(client, unit):
    nav, entries = menu_of(client, unit.auditor)
    assert "navgroup" not in nav and set(entries.values()) == {"nav-home", "nav-audit", "nav-notifications"}
