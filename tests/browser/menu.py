"""The grouped top menu in browser tests: an entry inside a closed drop-down is not visible, so a
click on it first opens its group (as a user does)."""


def nav_click(page, selector):
    item = page.locator(selector).first
    if not item.is_visible():
        item.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' navgroup ')]/button").click()
    item.click()
