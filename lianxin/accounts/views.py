from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from lianxin.core.forms import BootstrapMixin

from .audit import log_action


class LoginForm(BootstrapMixin, AuthenticationForm):
    pass


class StaffPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    pass


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> Any:
        response = super().form_valid(form)
        log_action(form.get_user(), "account.login", form.get_user(), request=self.request)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = StaffPasswordChangeForm

    def form_valid(self, form: Any) -> Any:
        response = super().form_valid(form)
        log_action(form.user, "account.password_change", form.user, request=self.request)
        return response
