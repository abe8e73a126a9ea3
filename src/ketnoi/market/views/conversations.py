"""Conversation pages: the list of her conversations, and one conversation.

The conversation page posts without reloading through htmx (the thread is
swapped in place) and works the same without JavaScript (post, then
redirect back to the page). Someone who is not a party gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketnoi.core.errors import DomainError, NotFound

from .. import selectors_talk as selectors
from ..forms_talk import ConversationOpenForm, MessageForm
from ..models import Conversation
from ..services.conversations import conversation_mark_read, conversation_open, message_send_in


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    try:
        return selectors.conversation_for_user(user=request.user, conversation_id=conversation_id)
    except NotFound as error:
        raise Http404(str(error)) from None


@login_required
@never_cache
@require_GET
def conversation_list_view(request: HttpRequest) -> HttpResponse:
    """Her conversations, latest first, each with what she has not read yet."""
    conversations = list(selectors.conversations_for_user(request.user))
    return render(
        request,
        "market/talk/list.html",
        {"conversations": conversations, "unread_total": sum(c.unread for c in conversations)},  # type: ignore[attr-defined]
    )


@login_required
@require_POST
def conversation_open_view(request: HttpRequest) -> HttpResponse:
    """Start (or go back to) the conversation about a product or an order."""
    form = ConversationOpenForm(request.POST)
    if not form.is_valid() or bool(form.cleaned_data["product"]) == bool(form.cleaned_data["order"]):
        raise Http404
    try:
        if form.cleaned_data["product"]:
            conversation = conversation_open(
                actor=request.user, product=selectors.product_to_ask_about(form.cleaned_data["product"])
            )
        else:
            order = selectors.order_to_talk_about(user=request.user, reference=form.cleaned_data["order"])
            conversation = conversation_open(actor=request.user, order=order)
    except NotFound as error:
        raise Http404(str(error)) from None
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("market:talk_list")
    return redirect("market:talk_detail", conversation_id=conversation.pk)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def conversation_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Read the conversation (marking it read) and write in it."""
    conversation = _conversation(request, conversation_id)
    form = MessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message_send_in(
                    conversation=conversation, sender=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                form.add_error("body", error)
            else:
                if not request.htmx:  # type: ignore[attr-defined]
                    return redirect(reverse("market:talk_detail", args=[conversation.pk]) + "#last")
                form = MessageForm()
        if form.errors:
            # htmx swaps only 2xx answers: the form with its message comes back as 200 there.
            status = 200 if request.htmx else 400  # type: ignore[attr-defined]
    conversation_mark_read(conversation=conversation, reader=request.user)
    context = {
        "conversation": conversation,
        "side": selectors.conversation_side(conversation, request.user),
        "thread": selectors.conversation_messages(conversation),
        "form": form,
    }
    template = "market/talk/conversation.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#thread"
    return render(request, template, context, status=status)
