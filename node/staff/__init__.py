"""Staff accounts (issue 14, item 8): console logins by username and password.

passwords.py  what a staff password must be
accounts.py   admins create, list, disable and re-enable accounts; every change audited
signin.py     signing in (lockout, per-client limit, as members' PINs) and re-checking a
              session's account at every request, so a disabled account's sessions end at once
"""
