"""``python manage.py service_desk_user --username NAME``, as operations.md words it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from maintenance.roles import SERVICE_DESK_GROUP
from orders.accounts import set_seller_user

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("service_desk_user", *args, stdout=out)
    return out.getvalue().splitlines()


def test_a_generated_password_is_printed_alone_on_the_last_line_and_logs_in(db, monkeypatch):
    # given no password in the environment
    monkeypatch.delenv("SERVICE_DESK_PASSWORD", raising=False)

    # when the command makes the login
    lines = run("--username", "desk")

    # then the last line is the password, and it opens the admin as a non-superuser staff member
    user = get_user_model().objects.get(username="desk")
    assert lines[0] == "service desk login 'desk' created; log in at /admin/"
    password = lines[-1]
    assert len(lines) == 2 and len(password) >= 16 and " " not in password
    assert user.is_staff and user.is_active and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [SERVICE_DESK_GROUP]
    client = Client()
    assert client.login(username="desk", password=password)
    assert client.get("/admin/").status_code == 200


def test_the_password_comes_from_the_environment_and_is_not_printed(db, monkeypatch):
    # given a password in the environment
    monkeypatch.setenv("SERVICE_DESK_PASSWORD", "s3cret-from-env")

    # when the command runs
    lines = run("--username", "desk")

    # then the password works and is not printed
    assert lines == ["service desk login 'desk' created; log in at /admin/"]
    assert Client().login(username="desk", password="s3cret-from-env")


def test_running_it_again_resets_the_password_and_reactivates(db, monkeypatch):
    # given a deactivated service desk login
    monkeypatch.setenv("SERVICE_DESK_PASSWORD", "first-password")
    run("--username", "desk")
    get_user_model().objects.filter(username="desk").update(is_active=False)

    # when the command runs again with another password
    monkeypatch.setenv("SERVICE_DESK_PASSWORD", "second-password")
    lines = run("--username", "desk")

    # then it is reset: one user, active, the new password works and the old one not
    assert lines == ["service desk login 'desk' reset; log in at /admin/"]
    assert get_user_model().objects.filter(username="desk").count() == 1
    assert Client().login(username="desk", password="second-password")
    assert not Client().login(username="desk", password="first-password")


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "the username must not be empty"),
        (
            "bad name",
            "invalid username 'bad name': Enter a valid username. This value may contain only "
            "letters, numbers, and @/./+/-/_ characters.",
        ),
    ],
)
def test_a_bad_username_is_refused_and_nothing_is_made(db, username, message):
    # given a bad username
    # when the command runs
    with pytest.raises(CommandError) as refused:
        run("--username", username)

    # then it says why, and no user exists
    assert str(refused.value) == message
    assert get_user_model().objects.count() == 0


def test_a_seller_staff_login_is_never_turned_into_a_service_desk_login(db, seller):
    # given a seller staff login
    set_seller_user(seller_code=seller.code, username="shop", password="pw-of-the-shop")

    # when the command is run for that name
    with pytest.raises(CommandError) as refused:
        run("--username", "shop")

    # then it is refused and the login stays without admin access
    assert str(refused.value) == "'shop' is a seller staff login; seller staff get no admin access"
    user = get_user_model().objects.get(username="shop")
    assert (user.is_staff, user.groups.count()) == (False, 0)
    assert user.check_password("pw-of-the-shop")


def test_a_superuser_is_not_demoted(db):
    # given a superuser
    get_user_model().objects.create_superuser("root", password="root-password")

    # when the command is run for that name
    with pytest.raises(CommandError) as refused:
        run("--username", "root")

    # then it is refused and the superuser unchanged
    assert str(refused.value) == "'root' is a superuser; a service desk login is not"
    assert get_user_model().objects.get(username="root").is_superuser
