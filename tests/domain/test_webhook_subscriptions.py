"""Which order webhooks a store needs, their states, and the repairs that fix them."""

from __future__ import annotations

from storebridge.domain.webhook_subscriptions import (
    CreateWebhook,
    ExistingWebhook,
    UpdateWebhook,
    assess,
    delivery_url,
    repairs,
    webhook_name,
)

PUBLIC = "https://bridge.example"
URL = "https://bridge.example/webhooks/woocommerce/main"
TOPICS = ("order.created", "order.updated")


def hook(
    id: int, topic: str, *, status: str = "active", url: str = URL, name: str = "StoreBridge main"
) -> ExistingWebhook:
    return ExistingWebhook(id, name, topic, status, url)


def test_the_delivery_url_and_name_follow_the_store() -> None:
    assert delivery_url(PUBLIC + "/", "main") == URL
    assert webhook_name("outlet") == "StoreBridge outlet"


def test_every_topic_is_missing_in_an_empty_shop_and_install_creates_them() -> None:
    subs = assess("main", TOPICS, [], public_url=PUBLIC)

    assert [(s.topic, s.problem) for s in subs] == [
        ("order.created", "missing"),
        ("order.updated", "missing"),
    ]
    assert repairs("main", subs, public_url=PUBLIC) == [
        CreateWebhook("order.created", "StoreBridge main", URL),
        CreateWebhook("order.updated", "StoreBridge main", URL),
    ]


def test_active_webhooks_at_the_right_url_need_nothing() -> None:
    subs = assess(
        "main", TOPICS, [hook(1, "order.created"), hook(2, "order.updated")], public_url=PUBLIC
    )

    assert all(s.ok for s in subs)
    assert repairs("main", subs, public_url=PUBLIC) == []


def test_a_disabled_webhook_is_reactivated_and_a_paused_one_too() -> None:
    existing = [
        hook(1, "order.created", status="disabled"),
        hook(2, "order.updated", status="paused"),
    ]

    subs = assess("main", TOPICS, existing, public_url=PUBLIC)

    assert [s.problem for s in subs] == ["disabled", "paused"]
    assert "disabled by WooCommerce after failed deliveries (#1)" in subs[0].describe()
    assert repairs("main", subs, public_url=PUBLIC) == [
        UpdateWebhook(1, "order.created", {"status": "active"}),
        UpdateWebhook(2, "order.updated", {"status": "active"}),
    ]


def test_a_webhook_named_ours_that_delivers_elsewhere_is_pointed_back() -> None:
    moved = hook(3, "order.created", url="http://old-host:8080/webhooks/woocommerce/main")

    [sub] = assess("main", ("order.created",), [moved], public_url=PUBLIC)

    assert sub.problem == "wrong_url"
    assert "→ http://old-host:8080" in sub.describe()
    assert repairs("main", [sub], public_url=PUBLIC) == [
        UpdateWebhook(3, "order.created", {"delivery_url": URL})
    ]


def test_a_hand_made_webhook_to_our_url_counts_and_gets_our_name() -> None:
    by_hand = hook(4, "order.created", name="Order created")

    [sub] = assess("main", ("order.created",), [by_hand], public_url=PUBLIC)

    assert sub.ok
    assert repairs("main", [sub], public_url=PUBLIC) == [
        UpdateWebhook(4, "order.created", {"name": "StoreBridge main"})
    ]


def test_other_webhooks_of_the_shop_are_not_ours() -> None:
    foreign = [
        hook(5, "order.created", name="CRM", url="https://crm.example/hook"),
        hook(
            6,
            "order.created",
            name="StoreBridge outlet",
            url=PUBLIC + "/webhooks/woocommerce/outlet",
        ),
    ]

    [sub] = assess("main", ("order.created",), foreign, public_url=PUBLIC)

    assert sub.problem == "missing"


def test_the_best_of_several_serves_the_topic_and_the_rest_are_duplicates() -> None:
    existing = [
        hook(7, "order.created", status="disabled"),
        hook(8, "order.created"),
        hook(9, "order.created", url="http://old-host/webhooks/woocommerce/main"),
    ]

    [sub] = assess("main", ("order.created",), existing, public_url=PUBLIC)

    assert (sub.problem, sub.webhook and sub.webhook.id, sub.duplicates) == ("ok", 8, (7, 9))
    assert "duplicates #7, #9" in sub.describe()
    assert repairs("main", [sub], public_url=PUBLIC) == []  # never deletes


def test_without_a_public_url_the_receiver_path_identifies_our_webhooks() -> None:
    elsewhere = hook(
        10, "order.created", name="x", url="https://any.host/webhooks/woocommerce/main"
    )

    [sub] = assess("main", ("order.created",), [elsewhere], public_url=None)

    assert sub.ok and sub.webhook == elsewhere


def test_repair_resends_the_secret_to_every_webhook_even_healthy_ones() -> None:
    subs = assess(
        "main",
        TOPICS,
        [hook(1, "order.created"), hook(2, "order.updated", status="disabled")],
        public_url=PUBLIC,
    )

    planned = repairs("main", subs, public_url=PUBLIC, resend_secret=True)

    assert planned == [
        UpdateWebhook(1, "order.created", {}, send_secret=True),
        UpdateWebhook(2, "order.updated", {"status": "active"}, send_secret=True),
    ]
