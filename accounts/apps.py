from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _user_changed(instance, **kwargs) -> None:
    from accounts.backends import user_changed

    user_changed(instance.pk)


def _users_reloaded(**kwargs) -> None:
    from accounts.backends import users_reloaded

    users_reloaded()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_migrate, post_save

        # The signed-in user is kept in the shared cache (accounts/backends.py): every
        # saved or deleted user is read afresh on their next request.
        user = get_user_model()
        post_save.connect(_user_changed, sender=user, dispatch_uid="accounts.user.save")
        post_delete.connect(_user_changed, sender=user, dispatch_uid="accounts.user.delete")
        post_migrate.connect(_users_reloaded, sender=self, dispatch_uid="accounts.user.migrate")

        from accounts import signins

        # Sign-in history and the list of a user's open sessions.
        signins.connect()
