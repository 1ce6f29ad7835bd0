"""``import_orders`` and ``seller_user`` as operations.md words them."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from orders.models import ItemHistory, Order, OrderItem, Seller, SellerStaff

pytestmark = pytest.mark.django_db


def order_line(number="300739975", seller="acme-shoes", items=None, **extra):
    data = {
        "order_number": number,
        "seller": seller,
        "created_at": "2026-11-20T08:15:00+08:00",
        "items": items
        if items is not None
        else [
            {
                "id_sales_order_item": 73955,
                "sku": "ACM-RED-42",
                "name": "Runner, red, 42",
                "status": "pending",
            }
        ],
        **extra,
    }
    return json.dumps(data)


def write(tmp_path, *lines):
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args, stdin=None):
    out = io.StringIO()
    if stdin is not None:
        import sys

        old = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            call_command("import_orders", *args, stdout=out)
        finally:
            sys.stdin = old
    else:
        call_command("import_orders", *args, stdout=out)
    return out.getvalue()


def test_orders_are_loaded_with_new_sellers_and_no_history(tmp_path):
    path = write(
        tmp_path,
        order_line(),
        order_line(
            "300739976",
            seller="bolt-bags",
            items=[
                {"id_sales_order_item": 1, "sku": "B-1", "name": "Bag", "status": "shipped"},
                {"id_sales_order_item": "2", "sku": "B-2", "name": "Strap"},
            ],
        ),
    )

    out = run(str(path))

    assert (
        out.strip()
        == "2 orders loaded with 3 items, 0 already present left as they are, 2 new sellers"
    )
    order = Order.objects.get(order_number="300739975")
    assert order.seller.code == "acme-shoes"
    assert order.created_at == datetime(2026, 11, 20, 0, 15, tzinfo=UTC)
    assert list(
        OrderItem.objects.order_by("id_sales_order_item").values_list(
            "id_sales_order_item", "status", "status_event_time"
        )
    ) == [
        (1, "shipped", None),
        (2, "pending", None),
        (73955, "pending", None),
    ]
    assert ItemHistory.objects.count() == 0


def test_a_file_can_be_loaded_twice(tmp_path):
    path = write(tmp_path, order_line())
    run(str(path))

    out = run(str(path))

    assert (
        out.strip()
        == "0 orders loaded with 0 items, 1 already present left as they are, 0 new sellers"
    )
    assert OrderItem.objects.count() == 1


def test_standard_input_is_read_with_a_dash():
    out = run("-", stdin=order_line() + "\n")

    assert out.startswith("1 orders loaded")
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: an order must be a JSON object"),
        (order_line("2", items=[]), "line 2: items must be a non-empty list"),
        (order_line("2", colour="red"), "line 2: unknown field 'colour'"),
        (
            order_line(
                "2", items=[{"id_sales_order_item": 5, "sku": "S", "name": "N", "status": "lost"}]
            ),
            "line 2: items[0]: status 'lost' is not one of",
        ),
        (
            order_line("2", items=[{"id_sales_order_item": "x5", "sku": "S", "name": "N"}]),
            "line 2: items[0]: id_sales_order_item must be a positive integer",
        ),
        (
            order_line("2", items=[{"id_sales_order_item": 73955, "sku": "S", "name": "N"}]),
            "line 2: id_sales_order_item 73955 is also on line 1",
        ),
        (order_line("300739975"), "line 2: order 300739975 is also on line 1"),
        (
            order_line("2", created_at="yesterday"),
            "line 2: created_at 'yesterday' is not an ISO 8601 time",
        ),
        (
            order_line("2", seller="acme shoes!"),
            "line 2: seller 'acme shoes!' is not a seller code",
        ),
        (order_line("2\u0000"), "line 2: order_number must not contain NUL characters"),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_loaded(tmp_path, bad_line, message):
    path = write(tmp_path, order_line(), bad_line)

    with pytest.raises(CommandError) as raised:
        run(str(path))

    assert message in str(raised.value)
    assert str(raised.value).endswith("nothing was loaded")
    assert (Order.objects.count(), OrderItem.objects.count(), Seller.objects.count()) == (0, 0, 0)


def test_an_item_id_already_taken_by_another_order_loads_nothing(tmp_path):
    run(str(write(tmp_path, order_line())))
    path = tmp_path / "second.jsonl"
    path.write_text(
        order_line("999", items=[{"id_sales_order_item": 73955, "sku": "S", "name": "N"}]) + "\n"
    )

    with pytest.raises(
        CommandError, match="line 1: id_sales_order_item 73955 belongs to an order already loaded"
    ):
        run(str(path))

    assert Order.objects.count() == 1


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "nope.jsonl"))


def test_seller_user_creates_and_resets_a_login(seller, monkeypatch):
    out = io.StringIO()
    call_command("seller_user", "--seller", "acme-shoes", "--username", "ana", stdout=out)
    generated = out.getvalue().strip().splitlines()[-1]
    user = get_user_model().objects.get(username="ana")
    assert user.check_password(generated)
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert SellerStaff.objects.get(user=user).seller == seller

    monkeypatch.setenv("SELLER_USER_PASSWORD", "a-new-secret-1")
    out = io.StringIO()
    call_command("seller_user", "--seller", "acme-shoes", "--username", "ana", stdout=out)

    user.refresh_from_db()
    assert user.check_password("a-new-secret-1")
    assert "a-new-secret-1" not in out.getvalue()
    assert SellerStaff.objects.filter(user=user).count() == 1


def test_seller_user_refuses_an_unknown_seller(db):
    with pytest.raises(CommandError, match="no seller with code 'ghost'"):
        call_command("seller_user", "--seller", "ghost", "--username", "ana")
    assert not get_user_model().objects.filter(username="ana").exists()


def test_seller_user_refuses_a_login_of_another_seller(seller, other_seller):
    call_command("seller_user", "--seller", "acme-shoes", "--username", "ana", stdout=io.StringIO())

    with pytest.raises(CommandError, match="already works for seller 'acme-shoes'"):
        call_command("seller_user", "--seller", "bolt-bags", "--username", "ana")
