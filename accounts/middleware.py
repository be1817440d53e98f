from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class MustChangePasswordMiddleware:
    """A user signed in with a temporary password reaches nothing but the page that replaces
    it: whoever handed it out has seen it."""

    ALLOWED = ("password_change", "password_change_done", "logout", "set_language")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in allowed:
                return redirect("password_change")
        return self.get_response(request)
