"""Buyer–seller conversations: only the parties, safe text, notifications after commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketnoi.accounts.models import Role, User
from ketnoi.core.errors import DomainError, NotFound
from ketnoi.core.notify import MemorySender
from ketnoi.market.models import Conversation, Message
from ketnoi.market.selectors_talk import conversations_for_user, unread_count
from ketnoi.market.services.conversations import conversation_mark_read, conversation_open, message_send_in
from tests.accounts.factories import PASSWORD, user_with_role

from .factories import ProductFactory, SellerFactory
from .order_helpers import buyer_make, hanoi_commune, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms(settings):
    """Messages delivered in-process once the transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return MemorySender.sent


@pytest.fixture
def product(db):
    return ProductFactory(name="Miến tỏi đen Mường Bú", seller=SellerFactory(name="HTX Miến Mường Bú"))


@pytest.fixture
def buyer(db) -> User:
    return buyer_make(display_name="Trần Thu Hà", phone="+84987654321")


def _login(client, user) -> None:
    assert client.login(phone=user.phone, password=PASSWORD)


# --- Opening ---------------------------------------------------------------------------------


def test_asking_about_a_product_twice_opens_one_conversation(product, buyer):
    first = conversation_open(actor=buyer, product=product)
    again = conversation_open(actor=buyer, product=product)

    assert first.pk == again.pk
    assert (first.buyer, first.seller, first.product, first.order) == (buyer, product.seller, product, None)


def test_a_seller_cannot_ask_about_her_own_product(product):
    with pytest.raises(DomainError, match="sản phẩm của bạn"):
        conversation_open(actor=product.seller.leader, product=product)

    assert not Conversation.objects.exists()


def test_the_seller_opens_the_conversation_about_an_order_with_its_buyer(product, buyer):
    (order,) = place(buyer, (product, 1), commune=hanoi_commune())

    from_seller = conversation_open(actor=product.seller.leader, order=order)
    from_buyer = conversation_open(actor=buyer, order=order)

    assert from_seller.pk == from_buyer.pk
    assert from_seller.buyer == buyer


def test_a_stranger_cannot_open_a_conversation_about_an_order(product, buyer):
    (order,) = place(buyer, (product, 1), commune=hanoi_commune())

    with pytest.raises(NotFound):
        conversation_open(actor=buyer_make(), order=order)

    assert not Conversation.objects.exists()


# --- Sending -------------------------------------------------------------------------------------


def test_script_is_stored_sanitised_and_a_little_formatting_kept(product, buyer):
    conversation = conversation_open(actor=buyer, product=product)

    message = message_send_in(
        conversation=conversation,
        sender=buyer,
        body='<script>alert("x")</script>Chị ơi, <b>còn hàng</b> không?\n'
        '<a href="https://x.vn">xem</a> 1 < 2',
    )

    stored = Message.objects.get(pk=message.pk).body
    assert stored == "Chị ơi, <b>còn hàng</b> không?<br>xem 1 &lt; 2"


def test_the_page_renders_the_message_escaped(client, product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    message_send_in(
        conversation=conversation,
        sender=buyer,
        body="<img src=x onerror=alert(1)><i>Xin chào</i> <script>x</script>",
    )
    # a row written around the service is sanitised again on the way out
    Message.objects.create(
        conversation=conversation,
        sender=buyer,
        body='<script>alert(2)</script><a href="javascript:x">y</a>',
        sent_at=conversation.created_at,
    )
    _login(client, product.seller.leader)

    html = client.get(reverse("market:talk_detail", args=[conversation.pk])).content.decode()

    thread = html[html.index('data-testid="thread"') :]
    assert "<i>Xin chào</i>" in thread
    assert "<script>" not in thread and "<img" not in thread and "javascript:" not in thread


@pytest.mark.parametrize("body", ["", "   ", "<script>alert(1)</script>", "x" * 2001])
def test_an_empty_or_too_long_message_is_refused(product, buyer, body):
    conversation = conversation_open(actor=buyer, product=product)

    with pytest.raises(ValidationError):
        message_send_in(conversation=conversation, sender=buyer, body=body)

    assert not Message.objects.exists()


def test_a_message_of_2000_characters_is_accepted(product, buyer):
    conversation = conversation_open(actor=buyer, product=product)

    message = message_send_in(conversation=conversation, sender=buyer, body="ắ" * 2000)

    assert len(message.body) == 2000


def test_only_the_two_parties_may_write(product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    member = user_with_role(Role.SELLER)
    product.seller.members.add(member)

    message_send_in(conversation=conversation, sender=member, body="Dạ còn ạ.")
    for outsider in (buyer_make(), SellerFactory().leader):
        with pytest.raises(NotFound):
            message_send_in(conversation=conversation, sender=outsider, body="Chen ngang")

    assert list(Message.objects.values_list("body", flat=True)) == ["Dạ còn ạ."]


# --- Notifications -------------------------------------------------------------------------


def test_the_seller_gets_an_sms_after_commit_only_for_the_first_unread(
    product, buyer, sms, django_capture_on_commit_callbacks
):
    conversation = conversation_open(actor=buyer, product=product)

    with django_capture_on_commit_callbacks(execute=True):
        message_send_in(conversation=conversation, sender=buyer, body="Chị ơi còn hàng không?")
    with django_capture_on_commit_callbacks(execute=True):
        message_send_in(conversation=conversation, sender=buyer, body="Em cần 3 gói.")

    assert [m.to for m in sms] == [str(product.seller.leader.phone)]
    assert "Trần Thu Hà" in sms[0].text and "Miến tỏi đen Mường Bú" in sms[0].text
    assert "Chị ơi" not in sms[0].text  # the message itself stays in the app

    # when the seller reads and the buyer writes again, a new SMS goes out
    conversation_mark_read(conversation=conversation, reader=product.seller.leader)
    with django_capture_on_commit_callbacks(execute=True):
        message_send_in(conversation=conversation, sender=buyer, body="Chị trả lời em nhé.")
    assert len(sms) == 2


def test_the_buyer_is_told_when_the_seller_answers(product, buyer, sms, django_capture_on_commit_callbacks):
    conversation = conversation_open(actor=buyer, product=product)

    with django_capture_on_commit_callbacks(execute=True):
        message_send_in(conversation=conversation, sender=product.seller.leader, body="Dạ còn ạ.")

    assert [m.to for m in sms] == ["+84987654321"]
    assert "HTX Miến Mường Bú" in sms[0].text


def test_nothing_is_sent_when_the_message_is_refused(product, buyer, sms, django_capture_on_commit_callbacks):
    conversation = conversation_open(actor=buyer, product=product)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        message_send_in(conversation=conversation, sender=buyer, body="")

    assert sms == []
    assert mail.outbox == []


def test_an_email_goes_to_a_recipient_with_an_address(
    product, buyer, sms, django_capture_on_commit_callbacks, monkeypatch
):
    # The account has no e-mail field yet; a recipient who has an address gets one.
    monkeypatch.setattr(User, "email", "htx@example.org", raising=False)
    conversation = conversation_open(actor=buyer, product=product)

    with django_capture_on_commit_callbacks(execute=True):
        message_send_in(conversation=conversation, sender=buyer, body="Chị ơi, <b>còn hàng</b> 1 < 2?")

    (email,) = mail.outbox
    assert email.to == ["htx@example.org"]
    assert "Trần Thu Hà" in email.subject
    assert "Chị ơi, còn hàng 1 < 2?" in email.body
    assert reverse("market:talk_detail", args=[conversation.pk]) in email.body


def test_unread_counts_follow_each_side(product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    message_send_in(conversation=conversation, sender=buyer, body="Một")
    message_send_in(conversation=conversation, sender=buyer, body="Hai")
    message_send_in(conversation=conversation, sender=product.seller.leader, body="Ba")

    assert unread_count(product.seller.leader) == 2
    assert unread_count(buyer) == 1
    assert conversations_for_user(buyer).get().unread == 1

    conversation_mark_read(conversation=conversation, reader=product.seller.leader)

    assert unread_count(product.seller.leader) == 0
    assert unread_count(buyer) == 1


# --- Pages ---------------------------------------------------------------------------------------


def test_the_buyer_asks_from_the_product_page_without_javascript(client, product, buyer):
    _login(client, buyer)

    opened = client.post(reverse("market:talk_open"), {"product": product.pk})
    conversation = Conversation.objects.get()
    sent = client.post(reverse("market:talk_detail", args=[conversation.pk]), {"body": "Còn hàng không ạ?"})
    page = client.get(sent["Location"])

    assert opened["Location"] == reverse("market:talk_detail", args=[conversation.pk])
    assert sent.status_code == 302
    assert "Còn hàng không ạ?" in page.content.decode()


def test_posting_with_htmx_returns_the_thread_only(client, product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    _login(client, buyer)

    response = client.post(
        reverse("market:talk_detail", args=[conversation.pk]),
        {"body": "Gửi bằng htmx"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Gửi bằng htmx" in html
    assert "<html" not in html and "<form" in html


def test_an_empty_message_is_shown_as_an_error(client, product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    _login(client, buyer)

    response = client.post(reverse("market:talk_detail", args=[conversation.pk]), {"body": "  "})

    assert response.status_code == 400
    assert "Tin nhắn còn trống" in response.content.decode()
    assert not Message.objects.exists()


def test_someone_elses_conversation_is_404(client, product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    url = reverse("market:talk_detail", args=[conversation.pk])

    for outsider in (buyer_make(), SellerFactory().leader):
        _login(client, outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, {"body": "Chen ngang"}).status_code == 404

    assert not Message.objects.exists()


def test_opening_the_page_marks_it_read_and_the_list_shows_unread(client, product, buyer):
    conversation = conversation_open(actor=buyer, product=product)
    message_send_in(conversation=conversation, sender=buyer, body="Chị ơi")
    _login(client, product.seller.leader)

    listing = client.get(reverse("market:talk_list")).content.decode()
    client.get(reverse("market:talk_detail", args=[conversation.pk]))
    after = client.get(reverse("market:talk_list")).content.decode()

    assert 'data-testid="unread-total">1 tin mới' in listing
    assert "Trần Thu Hà" in listing
    assert "unread-total" not in after


def test_the_conversation_page_has_a_fixed_number_of_queries(
    client, product, buyer, django_assert_max_num_queries
):
    conversation = conversation_open(actor=buyer, product=product)
    message_send_in(conversation=conversation, sender=buyer, body="Một")
    _login(client, product.seller.leader)
    url = reverse("market:talk_detail", args=[conversation.pk])
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for n in range(15):
        message_send_in(
            conversation=conversation, sender=buyer if n % 2 else product.seller.leader, body=f"Tin {n}"
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_list_has_a_fixed_number_of_queries(client, buyer, django_assert_max_num_queries):
    for _ in range(2):
        conversation_open(actor=buyer, product=ProductFactory())
    _login(client, buyer)
    url = reverse("market:talk_list")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for _ in range(5):
        message_send_in(
            conversation=conversation_open(actor=buyer, product=ProductFactory()), sender=buyer, body="Hỏi"
        )

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_ask_button_posts_for_a_signed_in_buyer_and_asks_a_visitor_to_sign_in(rf, product, buyer):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    request = rf.get(f"/products/{product.slug}/")
    request.user = buyer
    signed_in = render_to_string(
        "market/talk/_ask_button.html", {"product": product, "user": buyer}, request=request
    )
    request.user = AnonymousUser()
    visitor = render_to_string(
        "market/talk/_ask_button.html", {"product": product, "user": AnonymousUser()}, request=request
    )

    assert f'action="{reverse("market:talk_open")}"' in signed_in
    assert f'name="product" value="{product.pk}"' in signed_in
    assert reverse("accounts:login") in visitor and "talk_open" not in visitor


def test_the_header_tag_counts_what_waits(rf, product, buyer):
    from django.template import Context, Template

    conversation = conversation_open(actor=buyer, product=product)
    message_send_in(conversation=conversation, sender=buyer, body="Chị ơi")
    request = rf.get("/")
    request.user = product.seller.leader

    html = Template("{% load talk_tags %}{% unread_messages as n %}[{{ n }}]").render(
        Context({"request": request})
    )

    assert html == "[1]"
