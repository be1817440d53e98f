from tests.access import FOUND, LOGIN, MISSING, OK, PUBLIC

SIGNED_IN = (OK, OK, OK, OK, OK, LOGIN)

# The user's own pages: they show only the signed-in user's rows (tests/accounts/test_signins.py).
NOT_SCOPED = {
    "account_signins",  # one's own sign-in history
    "account_sessions",  # one's own open sessions
    "account_sessions_end_others",  # ends only the signed-in user's other sessions
}

# Ending a session by its row: only its owner may; to anyone else it does not exist.
CASES = {
    "account_session_end": (
        "post",
        "own_worker_other_session",
        lambda s: {"pk": s.pk},
        (FOUND, MISSING, MISSING, MISSING, MISSING, LOGIN),
    ),
    # Two-step sign-in: one's own authenticator, for anyone signed in (tests/accounts/
    # test_totp.py); removing it without the right password changes nothing and goes back.
    "two_factor": ("get", "territory", lambda t: {}, SIGNED_IN),
    "two_factor_setup": ("get", "territory", lambda t: {}, SIGNED_IN),
    "two_factor_remove": ("post", "territory", lambda t: {}, (FOUND,) * 5 + (LOGIN,)),
    # Typing on an open page keeps the session (static/js/keepalive.js): no content.
    "keep_alive": ("get", "territory", lambda t: {}, (204,) * 5 + (LOGIN,)),
    # The code step of a sign-in: without a password just given, back to the sign-in page.
    "signin_code": ("get", "territory", lambda t: {}, (LOGIN,) * 6),
    # Anonymous pages for an account made for someone and a forgotten password: they show a
    # form and reveal nothing about any account (tests/accounts/test_activation.py); an
    # unknown activation link shows the same "no longer works" page to everyone.
    "activate_code": ("get", "territory", lambda t: {}, PUBLIC),
    "activate": ("get", "territory", lambda t: {"token": "not-a-token"}, PUBLIC),
    "password_forgot": ("get", "territory", lambda t: {}, PUBLIC),
    "password_reset_code": ("get", "territory", lambda t: {}, PUBLIC),
}
