"""Roles of the admin: the "Service desk" group and exactly the permissions its pages need.

The group is made by a migration and kept in step by ``service_desk_user``; both call
``sync_service_desk_group``. Seller staff are never ``is_staff``, so the admin refuses them.
"""

from __future__ import annotations

import secrets

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from orders.models import SellerStaff

SERVICE_DESK_GROUP = "Service desk"

# (app label, codename). Adding a key is "add" on API keys, revoking it is "change"; a refresh
# queued by hand is "add" on the refresh history. Nothing may be deleted except a whitelisted
# network; the request log, the mapping and the orders are read-only.
SERVICE_DESK_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("maintenance", "view_systemcredential"),
    ("maintenance", "add_systemcredential"),
    ("maintenance", "change_systemcredential"),
    ("maintenance", "view_whitelistednetwork"),
    ("maintenance", "add_whitelistednetwork"),
    ("maintenance", "change_whitelistednetwork"),
    ("maintenance", "delete_whitelistednetwork"),
    ("maintenance", "view_apikey"),
    ("maintenance", "add_apikey"),
    ("maintenance", "change_apikey"),
    ("maintenance", "view_configurationparameter"),
    ("maintenance", "change_configurationparameter"),
    ("maintenance", "view_requestlog"),
    ("maintenance", "view_statusdetailrefresh"),
    ("maintenance", "add_statusdetailrefresh"),
    ("maintenance", "view_statusdetailmapping"),
    ("orders", "view_seller"),
    ("orders", "view_order"),
    ("orders", "view_orderitem"),
    ("orders", "view_itemhistory"),
)


def _create_permissions(apps: Apps) -> None:
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Migration state apps have no models module; create_permissions skips those.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = models_module


def sync_service_desk_group(apps: Apps = global_apps) -> object:
    """Create the group if needed and give it exactly ``SERVICE_DESK_PERMISSIONS``."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    wanted = Q()
    for app_label, codename in SERVICE_DESK_PERMISSIONS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    permissions = list(permission_model.objects.filter(wanted))
    if len(permissions) < len(SERVICE_DESK_PERMISSIONS):
        # Permissions are normally made after migrate; make them now so the group gets them.
        _create_permissions(apps)
        permissions = list(permission_model.objects.filter(wanted))
    if len(permissions) != len(SERVICE_DESK_PERMISSIONS):
        found = {(p.content_type.app_label, p.codename) for p in permissions}
        missing = sorted(set(SERVICE_DESK_PERMISSIONS) - found)
        raise LookupError(f"permissions missing for the Service desk group: {missing}")
    group, _ = group_model.objects.get_or_create(name=SERVICE_DESK_GROUP)
    group.permissions.set(permissions)
    return group


class ServiceDeskUserError(Exception):
    """A service desk login that cannot be made; the message says why."""


@transaction.atomic
def set_service_desk_user(
    *, username: str, password: str | None = None
) -> tuple[AbstractUser, str | None, bool]:
    """Create or reset the service desk login ``username``: staff, in the group, no superuser.

    Returns the user, the generated password (None when ``password`` was given) and whether
    the login was created.
    """
    user_model = get_user_model()
    if not username.strip():
        raise ServiceDeskUserError("the username must not be empty")
    try:
        user_model.username_validator(username)
    except ValidationError as exc:
        raise ServiceDeskUserError(f"invalid username {username!r}: {exc.messages[0]}") from exc
    user = user_model.objects.filter(username=username).first()
    if user is not None and user.is_superuser:
        raise ServiceDeskUserError(f"{username!r} is a superuser; a service desk login is not")
    if user is not None and SellerStaff.objects.filter(user=user).exists():
        raise ServiceDeskUserError(
            f"{username!r} is a seller staff login; seller staff get no admin access"
        )
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    created = user is None
    if created:
        user = user_model(username=username)
    user.set_password(password)
    user.is_staff = True
    user.is_superuser = False
    user.is_active = True
    user.save()
    user.groups.add(sync_service_desk_group())
    return user, generated, created
