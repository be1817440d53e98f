#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    # Read the settings now: otherwise Django carries on without them for most commands and
    # fails later with "Models aren't loaded yet", hiding the variable that is wrong.
    settings.INSTALLED_APPS  # noqa: B018
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
