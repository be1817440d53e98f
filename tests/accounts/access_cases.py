from tests.access import PUBLIC

# Anonymous pages for an account made for someone and a forgotten password: they show a form
# and reveal nothing about any account (tests/accounts/test_activation.py); an unknown
# activation link shows the same "no longer works" page to everyone.
CASES = {
    "activate_code": ("get", "territory", lambda t: {}, PUBLIC),
    "activate": ("get", "territory", lambda t: {"token": "not-a-token"}, PUBLIC),
    "password_forgot": ("get", "territory", lambda t: {}, PUBLIC),
    "password_reset_code": ("get", "territory", lambda t: {}, PUBLIC),
}
