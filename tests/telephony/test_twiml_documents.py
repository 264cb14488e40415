"""The port's decisions as TwiML documents: pure, every value escaped by ElementTree, never concatenated."""

from __future__ import annotations

from uuid import UUID
from xml.etree.ElementTree import tostring

from services.calls.telephony import twiml
from services.calls.telephony.port import Decision, Target

GIULIA = UUID("6a0f5d2e-1111-4c2b-9b55-000000000001")
MARCO = UUID("6a0f5d2e-1111-4c2b-9b55-000000000002")
NUMBERS = {str(GIULIA): "+393331111111", str(MARCO): "+393332222222"}


def dial_to(*volunteers: UUID, confirm: bool = True, caller_id: str = "+390212345678") -> Decision:
    return Decision("dial", tuple(Target(v, str(v)) for v in volunteers), caller_id, 20, confirm)


def test_one_volunteer_is_rung_from_the_charitys_number_with_press_one_and_each_leg_reported() -> None:
    dial = twiml.answer(dial_to(GIULIA), NUMBERS).find("Dial")
    assert dial is not None and dial.attrib == {
        "callerId": "+390212345678", "timeout": "20", "answerOnBridge": "true",
        "action": f"/telephony/twiml/dial-action?legs={GIULIA}"}
    [number] = dial.findall("Number")
    assert number.text == "+393331111111"
    assert number.attrib == {"url": f"/telephony/twiml/confirm?leg={GIULIA}",
                             "statusCallback": f"/telephony/twiml/status?leg={GIULIA}&confirm=1",
                             "statusCallbackEvent": "initiated ringing answered completed",
                             "statusCallbackMethod": "POST"}


def test_ring_all_rings_every_target_at_once_and_without_press_one_no_confirmation_runs() -> None:
    dial = twiml.answer(dial_to(GIULIA, MARCO, confirm=False), NUMBERS).find("Dial")
    assert dial is not None and dial.attrib["action"] == f"/telephony/twiml/dial-action?legs={GIULIA}%2C{MARCO}"
    assert [(n.text, n.attrib["statusCallback"], "url" in n.attrib) for n in dial.findall("Number")] == [
        ("+393331111111", f"/telephony/twiml/status?leg={GIULIA}", False),
        ("+393332222222", f"/telephony/twiml/status?leg={MARCO}", False)]


def test_voicemail_says_the_dial_back_code_digit_by_digit_and_records_two_minutes() -> None:
    document = twiml.answer(Decision("fallback", (), "+390212345678", 0, False, "voicemail", "", "482913"), {})
    assert [child.tag for child in document] == ["Say", "Record"]
    assert document[0].attrib["language"] == "it-IT" and "4 8 2 9 1 3" in (document[0].text or "")
    assert document[1].attrib["maxLength"] == "120" and document[1].attrib["action"] == "/telephony/twiml/recorded"


def test_the_message_says_the_hours_and_hangs_up_and_no_value_becomes_markup() -> None:
    document = twiml.answer(Decision("fallback", (), '+39"/><Hangup/>', 0, False, "message",
                                     '9-18 <Hangup/> & "sempre"'), {})
    assert [child.tag for child in document] == ["Say", "Hangup"]
    assert '9-18 <Hangup/> & "sempre"' in (document[0].text or "")
    assert b"9-18 &lt;Hangup/&gt; &amp;" in tostring(document)
    injected = tostring(twiml.answer(dial_to(GIULIA, caller_id='+39"><Hangup/><Dial x="'), NUMBERS))
    assert b"callerId=\"+39&quot;&gt;&lt;Hangup/&gt;&lt;Dial x=&quot;\"" in injected


def test_press_one_and_what_ends_a_dial() -> None:
    prompt = twiml.confirm_prompt("/telephony/twiml/confirm?step=result", "Premi 1 per rispondere.")
    assert [child.tag for child in prompt] == ["Gather", "Hangup"] and prompt[0].attrib["numDigits"] == "1"
    assert twiml.pressed_one({"Digits": "1"}) and not twiml.pressed_one({"Digits": "11"})
    assert not twiml.pressed_one({})
    assert twiml.bridged({"DialCallStatus": "completed"}) and twiml.bridged({"DialCallStatus": "completed",
                                                                            "DialBridged": "true"})
    assert not twiml.bridged({"DialCallStatus": "completed", "DialBridged": "false"})  # picked up, no press 1
    assert not twiml.bridged({"DialCallStatus": "no-answer"})
