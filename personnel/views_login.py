"""The sign-in page: Django's login view behind this app's per-address slow-down and lockout
(personnel.throttle, personnel.auth), so everything that guards a sign-in lives in one app."""
from django.contrib.auth import views as auth_views

from . import throttle
from .forms_accounts import LoginForm


class LoginView(auth_views.LoginView):
    """Django's login page behind the per-address slow-down (personnel.throttle): while the
    client address must wait, the attempt is refused before any password is checked."""

    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        seconds = throttle.retry_after(throttle.client_ip(request))
        if seconds:
            username = (request.POST.get("username") or "")[:150]
            throttle.refuse(request, username, seconds)
            form = LoginForm(request, initial={"username": username})
            context = self.get_context_data(form=form, locked_message=throttle.throttled_message(seconds))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(seconds)
            return response
        return super().post(request, *args, **kwargs)
