"""What every browser journey does around its story: sign in as a demo person, and collect the
page's script errors (CSP violations of an inline script or style show up as console errors)."""
from conftest import PASSWORD


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click(".login-box button[type=submit]")
    page.wait_for_url(f"{base}/")


def watch_errors(page, errors):
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
