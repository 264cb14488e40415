"""Console labels in Italian (the default) and English, chosen by `?lang=`, else by Accept-Language."""

from __future__ import annotations

LANGUAGES = ("it", "en")

LABELS: dict[str, dict[str, str]] = {
    "app": {"it": "Angeli — centro di volontariato", "en": "Angeli — volunteer centre"},
    "skip": {"it": "Vai al contenuto", "en": "Skip to content"},
    "nav_transparency": {"it": "Trasparenza", "en": "Transparency"},
    "nav_campaigns": {"it": "Campagne", "en": "Campaigns"},
    "nav_calling": {"it": "Chiamate", "en": "Calling"},
    "nav_hours": {"it": "Ore di volontariato", "en": "Volunteer hours"},
    "nav_auditor": {"it": "Revisione", "en": "Audit"},
    "nav_login": {"it": "Accedi", "en": "Sign in"},
    "nav_logout": {"it": "Esci", "en": "Sign out"},
    "language": {"it": "Lingua", "en": "Language"},
    # sign-in
    "login_title": {"it": "Accedi alla console", "en": "Sign in to the console"},
    "email": {"it": "E-mail", "en": "E-mail"},
    "password": {"it": "Password", "en": "Password"},
    "sign_in": {"it": "Accedi", "en": "Sign in"},
    "login_failed": {"it": "Accesso non riuscito", "en": "Sign-in failed"},
    "signed_in_as": {"it": "Accesso come", "en": "Signed in as"},
    # transparency
    "transparency_title": {"it": "Dove vanno le donazioni", "en": "Where donations go"},
    "transparency_intro": {
        "it": "Per ogni fondo: quanto è stato raccolto, quanto è stato speso e per cosa, mese per mese. "
              "Nessun dato personale è mostrato.",
        "en": "For each fund: how much was raised, how much was spent and on what, month by month. "
              "No personal data is shown."},
    "fund": {"it": "Fondo", "en": "Fund"},
    "raised": {"it": "Raccolto", "en": "Raised"},
    "reversed": {"it": "Stornato", "en": "Reversed"},
    "disbursed": {"it": "Speso", "en": "Disbursed"},
    "balance": {"it": "Saldo", "en": "Balance"},
    "in_kind": {"it": "In natura", "en": "In kind"},
    "donors": {"it": "Donatori", "en": "Donors"},
    "month": {"it": "Mese", "en": "Month"},
    "used_for": {"it": "Per cosa è stato usato", "en": "What it was used for"},
    "date": {"it": "Data", "en": "Date"},
    "amount": {"it": "Importo", "en": "Amount"},
    "purpose": {"it": "Scopo", "en": "Purpose"},
    "no_funds": {"it": "Nessun fondo ancora.", "en": "No funds yet."},
    "no_open_funds": {
        "it": "Nessun fondo aperto: una campagna raccoglie per un fondo. Creane uno qui sotto, in «Nuovo fondo».",
        "en": "No open fund: a campaign raises money for a fund. Create one below, under \u201cNew fund\u201d."},
    "new_fund": {"it": "Nuovo fondo", "en": "New fund"},
    "create_fund": {"it": "Aggiungi fondo", "en": "Add fund"},
    "no_disbursements": {"it": "Nessuna spesa ancora.", "en": "Nothing disbursed yet."},
    "ledger_head": {"it": "Registro firmato delle donazioni", "en": "Signed donation ledger"},
    "entries": {"it": "Movimenti", "en": "Entries"},
    "hash": {"it": "Impronta (SHA-256)", "en": "Digest (SHA-256)"},
    "signature": {"it": "Firma (Ed25519)", "en": "Signature (Ed25519)"},
    "public_key": {"it": "Chiave pubblica", "en": "Public key"},
    "how_to_verify": {"it": "Come verificarlo", "en": "How to verify it"},
    "verify_steps": {
        "it": "1. Scarica la testa firmata da /ledger/head e la chiave da /ledger/public-key. "
              "2. Verifica la firma Ed25519 sul JSON canonico di sequence, position, hash e totals. "
              "3. Un revisore ricostruisce il registro dagli eventi (angeli ledger verify --head head.json) "
              "e deve ottenere la stessa impronta: ogni movimento alterato, tolto o spostato viene indicato.",
        "en": "1. Download the signed head from /ledger/head and the key from /ledger/public-key. "
              "2. Check the Ed25519 signature over the canonical JSON of sequence, position, hash and totals. "
              "3. An auditor rebuilds the ledger from the events (angeli ledger verify --head head.json) "
              "and must reach the same digest: any edited, dropped or reordered entry is reported."},
    # campaigns
    "campaigns_title": {"it": "Campagne", "en": "Campaigns"},
    "new_campaign": {"it": "Nuova campagna", "en": "New campaign"},
    "name": {"it": "Nome", "en": "Name"},
    "goal": {"it": "Obiettivo (EUR)", "en": "Goal (EUR)"},
    "starts_on": {"it": "Inizio", "en": "Starts on"},
    "ends_on": {"it": "Fine", "en": "Ends on"},
    "script": {"it": "Copione", "en": "Script"},
    "privacy_notice": {"it": "Informativa privacy", "en": "Privacy notice"},
    "create": {"it": "Crea", "en": "Create"},
    "contacts_file": {"it": "Elenco contatti (CSV)", "en": "Contact list (CSV)"},
    "register_file": {"it": "Registro delle opposizioni (CSV)", "en": "Opposition register (CSV)"},
    "register_checked_on": {"it": "Registro consultato il", "en": "Register checked on"},
    "import": {"it": "Importa", "en": "Import"},
    "launch": {"it": "Avvia", "en": "Launch"},
    "pause": {"it": "Sospendi", "en": "Pause"},
    "resume": {"it": "Riprendi", "en": "Resume"},
    "status": {"it": "Stato", "en": "Status"},
    "open": {"it": "Apri", "en": "Open"},
    "no_campaigns": {"it": "Nessuna campagna.", "en": "No campaigns."},
    "dashboard": {"it": "Cruscotto", "en": "Dashboard"},
    "pledged": {"it": "Promesso", "en": "Pledged"},
    "paid": {"it": "Versato", "en": "Paid"},
    "of_goal": {"it": "dell'obiettivo", "en": "of goal"},
    "contacts_by_state": {"it": "Contatti per stato", "en": "Contacts by state"},
    "by_hour": {"it": "Tentativi e risposte per ora del giorno", "en": "Attempts and reach by hour of day"},
    "attempts": {"it": "Tentativi", "en": "Attempts"},
    "reached": {"it": "Raggiunti", "en": "Reached"},
    "pledges": {"it": "Promesse", "en": "Pledges"},
    "conversion": {"it": "Conversione", "en": "Conversion"},
    "per_volunteer": {"it": "Conversione per volontario", "en": "Conversion per volunteer"},
    "volunteer": {"it": "Volontario", "en": "Volunteer"},
    "why_nobody": {"it": "Perché nessuno viene chiamato?", "en": "Why is nobody being dialled?"},
    "callable_now": {"it": "Chiamabili ora", "en": "Callable now"},
    "next_window": {"it": "La finestra di chiamata si riapre", "en": "The calling window next opens"},
    "reason": {"it": "Motivo", "en": "Reason"},
    "count": {"it": "Numero", "en": "Count"},
    "updated": {"it": "Aggiornato alle", "en": "Updated at"},
    # why nobody is dialled: one label per reason code of GET /campaigns/{id}/eligibility, {params} filled in
    "reason_callable": {"it": "chiamabili ora", "en": "callable now"},
    "reason_closed": {"it": "chiuso: {disposition}", "en": "closed: {disposition}"},
    "reason_leased": {"it": "assegnato a un volontario", "en": "leased to a volunteer"},
    "reason_lease_lapsed": {"it": "assegnazione scaduta, torna in coda al prossimo controllo",
                            "en": "lease lapsed, back at the next sweep"},
    "reason_scheduled": {"it": "{kind}: previsto più tardi", "en": "{kind} scheduled for later"},
    "reason_opted_out": {"it": "ha chiesto di non essere più chiamato", "en": "opted out"},
    "reason_on_register": {
        "it": "nel registro delle opposizioni (consultato il {checked_on}) senza consenso successivo",
        "en": "on the opposition register (checked {checked_on}) without later consent"},
    "reason_engaged_elsewhere": {"it": "in chiamata per un'altra campagna", "en": "being called in another campaign"},
    "reason_resting": {"it": "in pausa dopo una chiamata abbandonata o muta",
                       "en": "resting after an abandoned or silent call"},
    "reason_weekly_cap": {"it": "raggiunto il limite settimanale di {attempts} tentativi",
                          "en": "weekly cap of {attempts} attempts reached"},
    "reason_conversation_rest": {"it": "ha parlato con noi negli ultimi {days} giorni",
                                 "en": "spoke with us in the last {days} days"},
    "reason_no_policy": {"it": "nessuna regola di chiamata per i numeri in {zones}: {policy} vale per i numeri in "
                               "{governs}",
                         "en": "no calling policy for numbers in {zones}: {policy} governs numbers in {governs}"},
    "reason_campaign_not_started": {"it": "la campagna inizia il {first_day}",
                                    "en": "the campaign starts on {first_day}"},
    "reason_campaign_ended": {"it": "la campagna è terminata il {last_day}", "en": "the campaign ended on {last_day}"},
    "reason_closed_weekday": {"it": "{weekday}: giorno senza chiamate", "en": "{weekday}: no calls on this day"},
    "reason_holiday": {"it": "festività: {holiday}", "en": "public holiday: {holiday}"},
    "reason_patron_day": {"it": "festa del santo patrono di {town}", "en": "patron saint's day of {town}"},
    "reason_campaign_weekday": {"it": "{weekday}: la campagna non chiama",
                                "en": "the campaign does not call on {weekday}"},
    "reason_outside_policy_hours": {"it": "fuori dall'orario consentito, {from}\u2013{until} ({day}; {policy}, {zone})",
                                    "en": "outside the allowed hours, {from}\u2013{until} ({day}; {policy}, {zone})"},
    "reason_outside_preferred": {"it": "fuori dagli orari preferiti dal contatto ({zone})",
                                 "en": "outside the contact's preferred times ({zone})"},
    "reason_campaign_window_closed": {"it": "finestra della campagna chiusa, {from}\u2013{until} ({zone})",
                                      "en": "the campaign's window is closed, {from}\u2013{until} ({zone})"},
    "reason_no_common_interval": {"it": "nessun orario consentito in comune", "en": "no allowed hours in common"},
    "reason_campaign_status": {"it": "campagna {status}", "en": "campaign is {status}"},
    "reason_register_never_checked": {
        "it": "il registro delle opposizioni non è mai stato consultato: importa un file del registro prima "
              "di chiamare",
        "en": "the national opposition register was never checked; import a register file before calling"},
    "reason_register_stale": {
        "it": "il registro delle opposizioni è stato consultato il {checked_on} ({age_days} giorni fa); {policy} ne "
              "ammette {limit_days}: importa un file del registro aggiornato",
        "en": "the opposition register was last checked on {checked_on} ({age_days} days ago); {policy} allows "
              "{limit_days} days: import a fresh register file"},
    "day_weekday": {"it": "giorno feriale", "en": "weekday"},
    "day_eve": {"it": "vigilia: {holiday}", "en": "eve of {holiday}"},
    "kind_fresh": {"it": "primo tentativo", "en": "first call"},
    "kind_queued": {"it": "in coda", "en": "queued"},
    "kind_leased": {"it": "assegnato", "en": "leased"},
    "kind_in_call": {"it": "in chiamata", "en": "in call"},
    "kind_retry": {"it": "nuovo tentativo", "en": "retry"},
    "kind_callback": {"it": "richiamata", "en": "callback"},
    "status_draft": {"it": "bozza", "en": "draft"},
    "status_launched": {"it": "in corso", "en": "running"},
    "status_paused": {"it": "sospesa", "en": "paused"},
    "status_completed": {"it": "conclusa", "en": "completed"},
    "role_administrator": {"it": "amministratore", "en": "administrator"},
    "role_campaign_manager": {"it": "responsabile campagne", "en": "campaign manager"},
    "role_volunteer": {"it": "volontario", "en": "volunteer"},
    "role_auditor": {"it": "revisore", "en": "auditor"},
    "role_coordinator": {"it": "coordinatore", "en": "coordinator"},
    "role_viewer": {"it": "sola lettura", "en": "viewer"},
    # calling
    "calling_title": {"it": "Postazione chiamate", "en": "Calling screen"},
    "campaign": {"it": "Campagna", "en": "Campaign"},
    "clock_in": {"it": "Inizia turno", "en": "Clock in"},
    "clock_out": {"it": "Termina turno", "en": "Clock out"},
    "clocked_in": {"it": "In turno dalle", "en": "Clocked in since"},
    "clocked_out": {"it": "Fuori turno", "en": "Not clocked in"},
    "next_contact": {"it": "Prossimo contatto", "en": "Next contact"},
    "dial": {"it": "Chiama", "en": "Dial"},
    "history": {"it": "Storia con l'associazione", "en": "History with the charity"},
    "contact_kind": {"it": "Tipo", "en": "Kind"},
    "previous_attempts": {"it": "Tentativi precedenti", "en": "Previous attempts"},
    "allowed_until": {"it": "Chiamabile fino alle", "en": "Callable until"},
    "outcome": {"it": "Esito", "en": "Outcome"},
    "pledge": {"it": "Promessa", "en": "Pledge"},
    "money": {"it": "Denaro", "en": "Money"},
    "goods": {"it": "Beni", "en": "Goods"},
    "pledge_kind": {"it": "Tipo di promessa", "en": "Pledge kind"},
    "description": {"it": "Descrizione dei beni", "en": "Goods description"},
    "quantity": {"it": "Quantità", "en": "Quantity"},
    "record_pledge": {"it": "Registra promessa", "en": "Record pledge"},
    "callback": {"it": "Richiamare", "en": "Call back"},
    "callback_at": {"it": "Orario di richiamata", "en": "Callback time"},
    "opt_out": {"it": "Non chiamare più", "en": "Never call again"},
    "no_contact": {"it": "Nessun contatto disponibile", "en": "No contact available"},
    "campaign_has_no_contacts": {"it": "la campagna non ha contatti; importa un elenco",
                                 "en": "the campaign has no contacts; import a list"},
    "not_a_volunteer": {
        "it": "La schermata di chiamata è per gli account dei volontari, e questo account ha il ruolo «{role}», che "
              "non chiama i donatori. Accedi con un account da volontario, oppure chiedi a un amministratore di "
              "crearne uno collegato alla tua scheda di volontario.",
        "en": "The calling screen is for volunteers' accounts, and this account has the role \u201c{role}\u201d, "
              "which does not call donors. Sign in with a volunteer account, or ask an administrator to create one "
              "linked to your volunteer record."},
    "sign_in_as_volunteer": {"it": "Accedi come volontario", "en": "Sign in as a volunteer"},
    "done": {"it": "Fatto", "en": "Done"},
    "shortcuts": {"it": "Scorciatoie da tastiera: Alt+tasto indicato (Ctrl+Alt su Mac)",
                  "en": "Keyboard shortcuts: Alt+the key shown (Ctrl+Option on a Mac)"},
    # dispositions
    "answered": {"it": "Risposto", "en": "Answered"},
    "no_answer": {"it": "Nessuna risposta", "en": "No answer"},
    "busy": {"it": "Occupato", "en": "Busy"},
    "voicemail": {"it": "Segreteria", "en": "Voicemail"},
    "wrong_number": {"it": "Numero errato", "en": "Wrong number"},
    "not_interested": {"it": "Non interessato", "en": "Not interested"},
    "do_not_call": {"it": "Non chiamare più", "en": "Do not call"},
    "callback_requested": {"it": "Richiamata richiesta", "en": "Callback requested"},
    "abandoned": {"it": "Abbandonata", "en": "Abandoned"},
    "max_attempts": {"it": "Tentativi esauriti", "en": "Attempts used up"},
    "no_allowed_time": {"it": "Nessun orario consentito", "en": "No allowed time left"},
    # hours
    "hours_title": {"it": "Ore di volontariato", "en": "Volunteer hours"},
    "centre": {"it": "Centro", "en": "Centre"},
    "week": {"it": "Settimana", "en": "Week"},
    "shift_hours": {"it": "Ore di turno", "en": "Shift hours"},
    "talk_hours": {"it": "Ore al telefono", "en": "Talk hours"},
    "calls": {"it": "Chiamate", "en": "Calls"},
    "training_hours": {"it": "Ore di formazione", "en": "Training hours"},
    "export_csv": {"it": "Esporta CSV", "en": "Export CSV"},
    "total_hours": {"it": "Ore totali", "en": "Total hours"},
    "my_hours": {"it": "Le mie ore", "en": "My hours"},
    "hours_by_volunteer": {"it": "Ore per volontario", "en": "Hours by volunteer"},
    "weeks_from": {"it": "Ore di turno per settimana (dal lunedì)", "en": "Shift hours by week (from Monday)"},
    # auditor
    "auditor_title": {"it": "Verifica del registro", "en": "Ledger verification"},
    "auditor_intro": {
        "it": "Ricostruisce il registro dagli eventi delle donazioni e lo confronta con quello pubblicato.",
        "en": "Rebuilds the ledger from the donation events and compares it with the stored one."},
    "run_verification": {"it": "Esegui la verifica", "en": "Run the verification"},
    "verified_ok": {"it": "Registro integro", "en": "Ledger intact"},
    "verified_bad": {"it": "Differenze trovate", "en": "Differences found"},
    "checked": {"it": "Movimenti controllati", "en": "Entries checked"},
    "sequence": {"it": "Sequenza", "en": "Sequence"},
    "problem": {"it": "Problema", "en": "Problem"},
    "detail": {"it": "Dettaglio", "en": "Detail"},
    "error": {"it": "Errore", "en": "Error"},
    "loading": {"it": "Caricamento…", "en": "Loading…"},
    # helpline and protocols
    # (end of helpline and protocols)
    # shifts and coverage
    # (end of shifts and coverage)
    # sign-up and the volunteers' desk
    # (end of sign-up and the volunteers' desk)
    # live board
    "nav_now": {"it": "Adesso", "en": "Now"},
    "now_title": {"it": "Adesso: chi è in servizio", "en": "Now: who is on duty"},
    "now_clocked_in": {"it": "In servizio", "en": "Clocked in"},
    "now_on_call": {"it": "Al telefono", "en": "On a call"},
    "now_idle": {"it": "Liberi", "en": "Idle"},
    "now_forgotten": {"it": "Uscite dimenticate", "en": "Forgotten clock-outs"},
    "now_next_hour": {"it": "Turni della prossima ora con posti liberi",
                      "en": "Slots in the next hour with empty places"},
    "now_volunteer": {"it": "Volontario", "en": "Volunteer"},
    "now_call_kind": {"it": "Chiamata", "en": "Call"},
    "now_kind_helpline": {"it": "Linea d'ascolto", "en": "Helpline"},
    "now_kind_campaign": {"it": "Campagna", "en": "Campaign"},
    "now_for": {"it": "Da quanto", "en": "For"},
    "now_on_duty_for": {"it": "In servizio da", "en": "Clocked in for"},
    "now_shift_end": {"it": "Fine turno", "en": "Shift end"},
    "now_no_shift": {"it": "fuori turno", "en": "no shift"},
    "now_slot": {"it": "Turno", "en": "Slot"},
    "now_role": {"it": "Ruolo", "en": "Role"},
    "now_empty": {"it": "Posti liberi", "en": "Empty places"},
    "now_none_on_call": {"it": "Nessuno al telefono.", "en": "Nobody is on a call."},
    "now_none_idle": {"it": "Nessun volontario libero.", "en": "No volunteer is idle."},
    "now_none_forgotten": {"it": "Nessuna uscita dimenticata.", "en": "No forgotten clock-out."},
    "now_none_next_hour": {"it": "Nessun posto libero nella prossima ora.",
                           "en": "No empty place in the next hour."},
    "now_correct": {"it": "Correggi l'uscita", "en": "Correct the clock-out"},
    "now_correct_of": {"it": "Correggi l'uscita di", "en": "Correct the clock-out of"},
    "now_real_clock_out": {"it": "Ora reale di uscita", "en": "Real clock-out time"},
    "now_corrected_by": {"it": "Corretta da (coordinatore)", "en": "Corrected by (coordinator)"},
    "now_no_coordinator": {"it": "Nessun volontario coordinatore registrato: serve per firmare la correzione.",
                           "en": "No coordinator volunteer is registered: one must sign the correction."},
    "now_save": {"it": "Registra l'uscita", "en": "Record the clock-out"},
    "now_cancel": {"it": "Annulla", "en": "Cancel"},
    "now_corrected": {"it": "Uscita corretta:", "en": "Clock-out corrected:"},
    "now_live": {"it": "Aggiornato in tempo reale", "en": "Updating live"},
    "now_polling": {"it": "Aggiornato ogni 5 secondi", "en": "Updating every 5 seconds"},
    "now_time_required": {"it": "Indica l'ora reale di uscita.", "en": "Give the real clock-out time."},
    "now_role_helpline": {"it": "linea d'ascolto", "en": "helpline"},
    "now_role_outreach": {"it": "campagne", "en": "outreach"},
    "now_role_coordinator": {"it": "coordinamento", "en": "coordination"},
    "now_no_names": {"it": "I nomi sono visibili ai coordinatori.", "en": "Names are shown to coordinators."},
    # (end of live board)
}


def choose(query: str | None, accept_language: str | None) -> str:
    """The language asked for in the query string, else the first supported one the browser prefers."""
    if query in LANGUAGES:
        return query
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "it"


def labels(language: str) -> dict[str, str]:
    return {key: texts[language] for key, texts in LABELS.items()}
