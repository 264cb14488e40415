"""The mail aggregates read like their rules: e-mail choices, a delivery's life, a mailing's states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.kernel.errors import InvalidInput
from services.mail.domain.choices import ConsentNotValid, MailChoices
from services.mail.domain.delivery import Delivery, delivery_id
from services.mail.domain.mailing import Mailing, MailingAlreadySending, MailingNotValid

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WORDS = "Acconsento a ricevere e-mail sulle iniziative dell'associazione."
GIULIA = UUID(int=7)


def test_marketing_mail_needs_a_consent_and_stops_at_an_unsubscribe_until_a_new_consent() -> None:
    giulia = MailChoices(GIULIA)
    assert giulia.marketing_refusal(consented=False) == "no_consent"
    giulia.consent(MONDAY, "modulo web Natale", WORDS, "account:sara@angeli.example")
    assert giulia.marketing_refusal(consented=True) == ""
    assert giulia.unsubscribe("campaign:natale", MONDAY + timedelta(days=1), "one-click")
    assert giulia.marketing_refusal(consented=True) == "unsubscribed"
    assert not giulia.unsubscribe("campaign:estate", MONDAY + timedelta(days=2), "page")  # once is enough
    giulia.consent(MONDAY + timedelta(days=30), "telefonata", WORDS, "account:sara@angeli.example")
    assert giulia.marketing_refusal(consented=True) == ""
    assert [c.kind for c in giulia.choices] == ["consented", "unsubscribed", "consented"]
    assert giulia.choices[1].source == "one-click from campaign:natale"


def test_a_consent_says_where_it_was_given_and_the_words_shown() -> None:
    giulia = MailChoices(GIULIA)
    with pytest.raises(ConsentNotValid, match="where the consent was given"):
        giulia.consent(MONDAY, "  ", WORDS, "x")
    with pytest.raises(ConsentNotValid, match="words of the consent"):
        giulia.consent(MONDAY, "modulo web", "sì", "x")
    assert giulia.choices == [] and len(giulia.pending_events) == 1  # only its creation


def test_an_unknown_way_to_unsubscribe_is_refused() -> None:
    giulia = MailChoices(GIULIA)
    with pytest.raises(InvalidInput, match="one-click, page, mailto, desk"):
        giulia.unsubscribe("campaign:natale", MONDAY, "fax")


def test_a_delivery_is_found_from_its_recipient_and_reference_and_bounces_once() -> None:
    delivery = Delivery(GIULIA, "campaign:natale", "abcdefghij", "marketing", uuid4(), 1, MONDAY, mailing="m")
    assert delivery.id == delivery_id(GIULIA, "abcdefghij") != delivery_id(UUID(int=8), "abcdefghij")
    assert not delivery.done and not delivery.was_accepted
    delivery.accepted(MONDAY, "relay:587")
    assert delivery.done and delivery.was_accepted
    assert delivery.bounce("hard", "5.1.1", MONDAY + timedelta(hours=2))
    assert not delivery.bounce("hard", "5.1.1", MONDAY + timedelta(hours=3))
    assert (delivery.status, delivery.reason, delivery.was_accepted) == ("bounced", "hard 5.1.1", True)


def test_a_deferred_delivery_stays_to_be_sent() -> None:
    delivery = Delivery(GIULIA, "thanks:fund", "abcdefghij", "transactional", uuid4(), 1, MONDAY)
    delivery.deferred(451, "try later", MONDAY)
    assert (delivery.status, delivery.deferrals, delivery.done) == ("queued", 1, False)


def test_a_mailing_is_a_draft_then_sending_then_sent_and_says_when_the_relay_waits() -> None:
    with pytest.raises(MailingNotValid, match="1 to 120"):
        Mailing.create(uuid4(), uuid4(), " ", MONDAY, "x")
    mailing = Mailing.create(uuid4(), uuid4(), " Annuncio Natale ", MONDAY, "x")
    assert (mailing.name, mailing.status, mailing.list_id) == ("Annuncio Natale", "draft",
                                                               f"campaign:{mailing.campaign_id}")
    mailing.start(3, MONDAY, "x")
    assert mailing.status == "sending" and mailing.template_version == 3
    with pytest.raises(MailingAlreadySending):
        mailing.start(3, MONDAY, "x")
    mailing.queued(1000, {"no_consent": 3, "unsubscribed": 5}, MONDAY)
    assert mailing.queued_send == 1 and mailing.excluded["on_hold"] == 0
    mailing.relay_down("connection refused", MONDAY)
    mailing.relay_down("connection refused", MONDAY + timedelta(seconds=30))  # still the first wait
    assert mailing.relay_waiting_since == MONDAY
    mailing.relay_up(MONDAY + timedelta(minutes=1))
    mailing.finish(MONDAY + timedelta(hours=1))
    assert (mailing.status, mailing.relay_waiting_since) == ("sent", None)
    assert [type(e).__name__ for e in mailing.collect_events()] == [
        "Created", "SendStarted", "AudienceQueued", "RelayWaiting", "RelayBack", "Finished"]
