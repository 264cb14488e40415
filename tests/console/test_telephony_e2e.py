"""Calls through the charity's SIP proxy, in Chromium (issue 19): the proxy's HTTP questions and reports are made
here as Kamailio makes them. Coordinator Chiara watches the live board's Phones while a Milan landline rings
helpline volunteer Giulia (ringing, then connected); Giulia's helpline screen opens the call by itself when she
answers, with Milano proposed from the number, shows the network's talk time when the caller hangs up, and she
ends it. Then Marco, on the calling screen, dials his leased donor from his Angeli phone: the screen follows the
network's call (ringing, connected, hung up with its talk time) and his outcome ends that very call. Screenshots
at 1280 and 390 px, in Italian and English."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conftest import calling_morning
from tests.console.conftest import Server, fits, page_as, served
from tests.telephony.twiml_rig import StandIn, _Handler

pytestmark = pytest.mark.slow

SECRET = "un-segreto-condiviso-del-centralino"
TELEPHONY = {"ANGELI_TELEPHONY": "sip", "ANGELI_TELEPHONY_NUMBER": "+390212345678", "ANGELI_TELEPHONY_SECRET": SECRET}
PASSWORD = "una-password-lunga"
DIRECTORY = "istat_code;municipality;category;number\n015146;Milano;health;02 8578 1\n"
PROTOCOL = {"name": "Ascolto", "steps": [{"key": "motivo", "question": "Per cosa chiama?",
                                          "choices": ["informazioni", "compagnia"]}]}
DONORS = "nome;telefono\nMaria;02 4455 6677\nLuca;06 9876 5432\nSara;011 555 0101\nPiero;051 555 0202\n"
TEXTS = {
    "it": {"network": "tempi dalla rete", "opened": "la scheda si è aperta da sola", "closed": "Linea chiusa alle",
           "ringing": "Squilla il donatore", "connected": "In conversazione dalle", "hung_up": "Chiamata chiusa alle",
           "answered": "Risposto", "ring": "squilla", "talking": "in conversazione", "done": "Fatto"},
    "en": {"network": "network-timed", "opened": "the form opened by itself", "closed": "Line closed at",
           "ringing": "The donor's phone is ringing", "connected": "Connected since", "hung_up": "Hung up at",
           "answered": "Answered", "ring": "ringing", "talking": "connected", "done": "Done"},
}


class Proxy:
    """The charity's SIP proxy as Angeli sees it: its questions and leg reports over HTTP, with the shared secret."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.url, timeout=10, headers={"X-Angeli-Telephony-Secret": SECRET})

    def ask(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(path, json=body)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def now(self) -> float:
        """The product's clock (it started on a calling morning and runs on), as the proxy's epoch seconds."""
        return datetime.fromisoformat(self.server.api.get("/console/api/board").json()["now"]).timestamp()

    def leg(self, call_id: str, leg_id: str, status: str, at: float, sequence: int, **more: Any) -> None:
        reported = self.http.post("/telephony/sip/legs", json={
            "call_id": call_id, "leg_id": leg_id, "status": status, "at": at, "sequence": sequence,
            "direction": more.pop("direction", "inbound"), **more})
        assert reported.status_code == 204, reported.text


def campaign(server: Server, today: date) -> str:
    """"Natale al telefono", launched with four donors to call."""
    api = server.api
    assert api.post("/suppression/register", data={"checked_on": today.isoformat()},
                    files={"file": ("rpo.csv", b"phone\n", "text/csv")}).status_code == 201
    fund = api.post("/funds", json={"name": "Pacchi di Natale"}).json()["id"]
    created = api.post("/campaigns", json={
        "name": "Natale al telefono", "fund_id": fund, "goal": "3000", "starts_on": (today - timedelta(days=3))
        .isoformat(), "ends_on": (today + timedelta(days=60)).isoformat(),
        "script": {"text": "Buongiorno {first_name}. {privacy_notice}",
                   "privacy_notice": "I suoi dati sono trattati da Angeli ETS."}})
    assert created.status_code == 201, created.text
    campaign_id: str = created.json()["id"]
    assert api.post(f"/campaigns/{campaign_id}/contacts/import",
                    files={"file": ("donatori.csv", DONORS.encode(), "text/csv")}).status_code == 201
    assert api.post(f"/campaigns/{campaign_id}/launch").status_code == 200
    return campaign_id


def person(server: Server, name: str, email: str, roles: list[str], account_role: str = "volunteer") -> str:
    volunteer: str = server.api.post("/volunteers", json={"full_name": name, "phone": "+39 333 555 0100",
                                                          "email": email, "roles": roles}).json()["id"]
    account = {"email": email.replace("example.org", "angeli.example"), "password": PASSWORD, "role": account_role,
               **({"volunteer_id": volunteer} if account_role == "volunteer" else {})}
    assert server.api.post("/auth/accounts", json=account).status_code == 201
    return volunteer


def test_the_phones_ring_on_the_board_the_helpline_opens_by_itself_and_the_calling_screen_follows_the_network(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    morning = calling_morning()
    with served(tmp_path / "var", morning, settings=TELEPHONY) as server:
        # Given helpline volunteer Giulia and outreach volunteer Marco clocked in, coordinator Chiara, the directory,
        # a protocol and a campaign with four donors
        giulia = person(server, "Giulia Rossi", "giulia@example.org", ["helpline"])
        marco = person(server, "Marco Bianchi", "marco@example.org", ["outreach"])
        person(server, "Chiara Neri", "chiara@example.org", ["coordinator"], account_role="coordinator")
        assert server.api.post("/directory/imports", files={"file": ("comuni.csv", DIRECTORY.encode(),
                                                                     "text/csv")}).status_code == 200
        assert server.api.post("/protocols", json=PROTOCOL).status_code == 201
        campaign_id = campaign(server, morning.date())
        for volunteer in (giulia, marco):
            assert server.api.post(f"/volunteers/{volunteer}/clock-in").status_code == 200
        proxy = Proxy(server)

        for lang, width in [("it", 1280), ("en", 1280), ("it", 390), ("en", 390)]:
            tag = f"{lang}-{width}"
            board = page_as(browser, server, "chiara@angeli.example", PASSWORD, lang, width)
            board.goto(f"/console/now?lang={lang}")
            helpline = page_as(browser, server, "giulia@angeli.example", PASSWORD, lang, width)
            helpline.goto(f"/console/helpline?lang={lang}")
            expect(helpline.locator("#helpline[data-ready]")).to_be_attached()
            a_routed_call(proxy, board, helpline, giulia, lang, tag, artifacts)
            board.context.close()
            helpline.context.close()

            calling = page_as(browser, server, "marco@angeli.example", PASSWORD, lang, width)
            calling.goto(f"/console/calling?lang={lang}")
            a_network_dial(proxy, server, calling, marco, campaign_id, lang, tag, artifacts)
            calling.context.close()


def a_routed_call(proxy: Proxy, board: Page, helpline: Page, giulia: str, lang: str, tag: str,
                  artifacts: Path) -> None:
    text, call_id = TEXTS[lang], f"helpline-{tag}"
    # When a Milan landline calls the helpline, the proxy rings Giulia: the board shows her phone ringing
    decision = proxy.ask("/telephony/sip/inbound", {"call_id": call_id, "line": "helpline", "caller": "+390245678901"})
    assert decision["action"] == "dial" and decision["targets"] == [giulia]
    start = proxy.now()
    proxy.leg(call_id, giulia, "ringing", start, 1)
    ringing = board.locator("#phone-legs tbody tr[data-status=ringing]")
    expect(ringing).to_contain_text("Giulia Rossi")
    expect(ringing).to_contain_text(text["ring"])
    expect(helpline.locator("#call")).to_be_hidden()  # ringing is not answered: nothing opens yet
    board.screenshot(path=str(artifacts / f"telephony-board-ringing-{tag}.png"), full_page=True)

    # When she answers on her phone, the helpline screen opens the call by itself, Milano proposed from the number
    proxy.leg(call_id, giulia, "answered", start + 4, 2)
    expect(helpline.locator("#call")).to_be_visible()
    expect(helpline.locator("#flash")).to_contain_text(text["opened"])
    expect(helpline.locator("#place-chosen")).to_contain_text("Milano (015146)")
    expect(helpline.locator("#call-timing-badge")).to_have_text(text["network"])
    expect(helpline.locator("#call-caller")).to_contain_text("+39\u00a002\u00a04567\u00a08901")
    expect(helpline.locator("#call-title")).to_be_focused()
    connected = board.locator("#phone-legs tbody tr[data-status=connected]")
    expect(connected).to_contain_text("Giulia Rossi")
    expect(connected).to_contain_text(text["talking"])
    fits(board)
    board.screenshot(path=str(artifacts / f"telephony-board-connected-{tag}.png"), full_page=True)

    # When the caller hangs up after 65 s, the screen shows the network's talk time; she ends the call
    proxy.leg(call_id, giulia, "completed", start + 69, 3)
    expect(helpline.locator("#call-line")).to_contain_text(f"{text['closed']}")
    expect(helpline.locator("#call-line")).to_contain_text("1:05")
    expect(board.locator("#phone-legs-empty")).to_be_visible()
    fits(helpline)
    helpline.screenshot(path=str(artifacts / f"telephony-helpline-{tag}.png"), full_page=True)
    helpline.locator("#end-form button[type=submit]").click()
    expect(helpline.locator("#call")).to_be_hidden()


def a_network_dial(proxy: Proxy, server: Server, calling: Page, marco: str, campaign_id: str, lang: str, tag: str,
                   artifacts: Path) -> None:
    text, call_id = TEXTS[lang], f"campaign-{tag}"
    # Marco takes his next contact: the screen says to dial from his Angeli phone, the donor seeing the charity's number
    calling.locator("#campaign").select_option(value=campaign_id)
    calling.locator("#next").click()
    expect(calling.locator("#contact")).to_be_visible()
    expect(calling.locator("#network")).to_be_visible()
    expect(calling.locator("#network-how")).to_contain_text("+39\u00a002\u00a01234\u00a05678")  # the charity's
    expect(calling.locator("#network-call")).to_be_hidden()  # SIP: his own Angeli phone dials
    expect(calling.locator("#dial")).to_contain_text("Chiama dal tuo" if lang == "it" else "Call from your own")

    # When his phone dials the donor, the proxy asks, then reports the donor's leg: the screen follows it
    number = str(calling.locator("#dial").get_attribute("href")).removeprefix("tel:")
    allowed = proxy.ask("/telephony/sip/outbound", {"call_id": call_id, "volunteer_id": marco, "number": number})
    assert allowed["action"] == "dial" and allowed["caller_id"] == "+390212345678", allowed
    ids = {"volunteer_id": marco, "campaign_id": allowed["campaign_id"], "contact_id": allowed["contact_id"],
           "direction": "outbound"}
    start = proxy.now()
    proxy.leg(call_id, marco, "ringing", start, 1, **ids)
    expect(calling.locator("#network[data-state=ringing]")).to_be_attached()
    expect(calling.locator("#network-state")).to_contain_text(text["ringing"])
    expect(calling.locator("[data-disposition=answered]")).to_be_disabled()  # nobody on the line yet
    proxy.leg(call_id, marco, "answered", start + 3, 2, **ids)
    expect(calling.locator("#network-state")).to_contain_text(text["connected"])
    expect(calling.locator("[data-disposition=no_answer]")).to_be_disabled()  # someone answered
    proxy.leg(call_id, marco, "completed", start + 98, 3, **ids)
    expect(calling.locator("#network-state")).to_contain_text(text["hung_up"])
    expect(calling.locator("#network-talk-time")).to_have_text("1:35")
    expect(calling.locator("#network-ends")).to_be_visible()  # the outcome ends this call, not a new one
    fits(calling)
    calling.screenshot(path=str(artifacts / f"telephony-calling-{tag}.png"), full_page=True)

    # His outcome ends that very call: network-timed, 95 s of talk
    open_call = server.api.get(f"/volunteers/{marco}/open-call?kind=outbound").json()
    assert open_call["timing"] == "network" and open_call["contact_id"] == allowed["contact_id"]
    calling.locator("[data-disposition=answered]").click()
    expect(calling.locator("#flash")).to_contain_text(text["done"])
    expect(calling.locator("#contact")).to_be_hidden()
    ended = server.api.get(f"/calls/{open_call['id']}").json()
    assert ended["disposition"] == "answered" and ended["timing"] == "network"
    assert server.api.get(f"/volunteers/{marco}/open-call?kind=outbound").json() is None  # no second, hand-made call



def test_with_a_twiml_provider_the_call_button_rings_the_volunteers_phone_and_says_why_it_could_not(
        browser: Browser, tmp_path: Path, artifacts: Path) -> None:
    """The Call button through the product's click-to-call route, the provider's REST API played by the TwiML
    tests' stand-in on 127.0.0.1: refused while the campaign is paused (409, its reason shown), the provider
    refusing the request (502), then the volunteer's phone rung from the charity's number (answer and press 1)."""
    stand_in = StandIn(("127.0.0.1", 0), _Handler)
    stand_in.calls = []
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    twiml = {"ANGELI_TELEPHONY": "twiml", "ANGELI_TELEPHONY_NUMBER": "+390212345678",
             "ANGELI_TWILIO_ACCOUNT_SID": "AC0000000000000000000000000000abcd",
             "ANGELI_TWILIO_AUTH_TOKEN": "b7c0ffee00000000000000000000000d",
             "ANGELI_TELEPHONY_PUBLIC_URL": "https://angeli.example.org", "ANGELI_TWILIO_API_URL": stand_in.url}
    morning = calling_morning()
    try:
        with served(tmp_path / "var", morning, settings=twiml) as server:
            marco = person(server, "Marco Bianchi", "marco@example.org", ["outreach"])
            campaign_id = campaign(server, morning.date())
            assert server.api.post(f"/volunteers/{marco}/clock-in").status_code == 200
            for lang, width in [("it", 1280), ("en", 390)]:
                ring_the_volunteer(server, stand_in, browser, marco, campaign_id, lang, width, artifacts)
            # per run, the request the provider refused and the one it placed; none while the campaign was paused
            assert [call[1]["From"] for call in stand_in.calls] == [["+390212345678"]] * 4  # the charity's number
            assert [call[1]["To"][0] for call in stand_in.calls] == ["+393335550100"] * 4  # Marco's
    finally:
        stand_in.shutdown()
        stand_in.server_close()


def ring_the_volunteer(server: Server, stand_in: StandIn, browser: Browser, marco: str, campaign_id: str, lang: str,
                       width: int, artifacts: Path) -> None:
    said = {"it": ["Chiamata rifiutata:", "Il fornitore telefonico non risponde",
                   "Sta squillando il tuo telefono: rispondi e premi 1."],
            "en": ["Call refused:", "The phone provider cannot be reached",
                   "Your phone is ringing: answer and press 1."]}
    calling = page_as(browser, server, "marco@angeli.example", PASSWORD, lang, width)
    calling.goto(f"/console/calling?lang={lang}")
    calling.locator("#campaign").select_option(value=campaign_id)
    calling.locator("#next").click()
    expect(calling.locator("#network-how")).to_contain_text("+39\u00a002\u00a01234\u00a05678")
    call = calling.locator("#network-call")

    def press_call(expected: str) -> None:  # from the keyboard
        expect(call).to_be_enabled()
        call.focus()
        calling.keyboard.press("Enter")
        expect(calling.locator("#network-state")).to_contain_text(expected)

    # Refused while the campaign is paused: the reason is shown, nobody is rung
    paused = server.api.post(f"/campaigns/{campaign_id}/pause", json={"reason": "verifica del copione"})
    assert paused.status_code == 200, paused.text
    press_call(said[lang][0])
    assert server.api.post(f"/campaigns/{campaign_id}/resume").status_code == 200
    # The provider refuses the request: said so, the tel: link still there
    stand_in.refuse = True
    press_call(said[lang][1])
    # Then it rings Marco's phone: answer and press 1; no second call on top of it
    stand_in.refuse = False
    press_call(said[lang][2])
    expect(call).to_be_disabled()
    fits(calling)
    calling.screenshot(path=str(artifacts / f"telephony-calling-twiml-{lang}-{width}.png"), full_page=True)
    # He did not reach the donor in the end: the outcome is his (no network call started without the press of 1)
    calling.locator("[data-disposition=no_answer]").click()
    expect(calling.locator("#contact")).to_be_hidden()
    calling.context.close()
