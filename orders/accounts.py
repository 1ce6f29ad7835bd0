"""Seller staff logins for the order management screen."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from .models import Seller, SellerStaff


class AccountError(Exception):
    """A login that cannot be made; the message says why."""


def generate_password() -> str:
    return secrets.token_urlsafe(12)


@transaction.atomic
def set_seller_user(
    *, seller_code: str, username: str, password: str | None = None
) -> tuple[AbstractUser, str | None]:
    """Create or reset the login ``username`` for staff of seller ``seller_code``.

    Returns the user and the generated password (None when ``password`` was given). Seller
    staff never get admin access.
    """
    if not username.strip():
        raise AccountError("the username must not be empty")
    try:
        seller = Seller.objects.get(code=seller_code)
    except Seller.DoesNotExist as exc:
        raise AccountError(f"no seller with code {seller_code!r}") from exc
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is not None and (user.is_staff or user.is_superuser):
        raise AccountError(f"{username!r} is a staff login; seller staff must have their own")
    staff = SellerStaff.objects.filter(user=user).select_related("seller").first() if user else None
    if staff is not None and staff.seller_id != seller.pk:
        raise AccountError(f"{username!r} already works for seller {staff.seller.code!r}")
    generated = None
    if not password:
        password = generated = generate_password()
    if user is None:
        user = user_model.objects.create_user(username=username, password=password)
    else:
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
    if staff is None:
        SellerStaff.objects.create(user=user, seller=seller)
    return user, generated
