"""manage.py create_user: an account for a planner or a field agent, with its role, in one step."""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from twin.roles import GRANTS, UnknownRole, check, grant

PASSWORD_ENV = "JUMEAU_NEW_USER_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a user (or take an existing one) and give it roles: planner, field_agent, admin. "
        f"The password is asked twice in a terminal, or read from ${PASSWORD_ENV} in a script."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            dest="roles",
            help="planner, field_agent or admin; repeat for several",
        )
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--set-password", action="store_true", help="for an existing user: replace its password too"
        )

    def handle(self, *args, username: str, roles: list[str], email: str, set_password: bool, **options):
        try:
            check(roles)  # before asking for a password
        except UnknownRole as exc:
            raise CommandError(f"{exc}. Nothing was changed.") from exc
        user = User.objects.filter(username=username).first()
        password = None
        if user is None or set_password:
            password = self._password()
            candidate = user or User(username=username, email=email)
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                raise CommandError(
                    f"Password refused for {username}: {' '.join(exc.messages)} Nothing was changed."
                ) from exc
        with transaction.atomic():
            created = user is None
            if created:
                user = User.objects.create_user(username, email=email, password=password)
            elif password is not None:
                user.set_password(password)
                user.save(update_fields=["password"])
            added = grant(user, roles)
        state = "created" if created else "password replaced" if password is not None else "already there"
        self.stdout.write(
            self.style.SUCCESS(
                f"{username}: {state}; roles {', '.join(roles)}" + ("" if added else " (it had them already)")
            )
        )
        for role in dict.fromkeys(roles):
            self.stdout.write(f"  {role}: {GRANTS[role]}")
        self.stdout.write("Sign in with « Connexion » in the app (/accounts/login/).")

    def _password(self) -> str:
        from_env = os.environ.get(PASSWORD_ENV)
        if from_env:
            return from_env
        if not sys.stdin.isatty():
            raise CommandError(f"No password: run this in a terminal to type it, or set ${PASSWORD_ENV} in a script.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ. Nothing was changed; run the command again.")
        return first
