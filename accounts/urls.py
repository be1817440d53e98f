from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import sessions_views, twofactor_views, views
from accounts.forms import LoginForm

urlpatterns = [
    path("login/", twofactor_views.SignIn.as_view(authentication_form=LoginForm), name="login"),
    path("login/code/", twofactor_views.signin_code, name="signin_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language"),
    path("large-text/", views.large_text, name="large_text"),
    path("two-step/", twofactor_views.two_factor, name="two_factor"),
    path("two-step/setup/", twofactor_views.two_factor_setup, name="two_factor_setup"),
    path("two-step/remove/", twofactor_views.two_factor_remove, name="two_factor_remove"),
    path("keep-alive/", sessions_views.keep_alive, name="keep_alive"),
    path("signins/", sessions_views.signin_history, name="account_signins"),
    path("sessions/", sessions_views.session_list, name="account_sessions"),
    path("sessions/<int:pk>/end/", sessions_views.session_end, name="account_session_end"),
    path(
        "sessions/end-others/",
        sessions_views.session_end_others,
        name="account_sessions_end_others",
    ),
    # Anonymous: an account made for someone, and a forgotten password (accounts/services.py).
    path("activate/", views.activate_code, name="activate_code"),
    path("activate/<str:token>/", views.activate, name="activate"),
    path("password/forgot/", views.password_forgot, name="password_forgot"),
    path("password/reset/", views.password_reset_code, name="password_reset_code"),
]
