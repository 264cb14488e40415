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
    "nav_helpline": {"it": "Linea d'ascolto", "en": "Helpline"},
    "helpline_title": {"it": "Linea d'ascolto", "en": "Helpline"},
    "hl_line": {"it": "Il mio turno", "en": "My shift"},
    "hl_protocol": {"it": "Protocollo", "en": "Protocol"},
    "hl_no_protocol": {"it": "Nessun protocollo pubblicato", "en": "No protocol published"},
    "hl_answer_call": {"it": "Rispondi a una chiamata", "en": "Answer a call"},
    "hl_call_since": {"it": "Chiamata in corso dalle", "en": "Call in progress since"},
    "hl_caller_municipality": {"it": "Comune di chi chiama", "en": "Caller's municipality"},
    "hl_find": {"it": "Trova", "en": "Find"},
    "hl_municipalities_found": {"it": "Comuni trovati", "en": "Municipalities found"},
    "hl_chosen": {"it": "Comune scelto", "en": "Municipality chosen"},
    "hl_no_place": {"it": "Comune non ancora scelto", "en": "No municipality chosen yet"},
    "hl_type_two": {"it": "Scrivi almeno due lettere del comune", "en": "Type at least two letters of the name"},
    "hl_nothing_found": {"it": "Nessun comune trovato nella rubrica", "en": "No municipality found in the directory"},
    "hl_version": {"it": "versione", "en": "version"},
    "hl_answer": {"it": "Risposta", "en": "Answer"},
    "hl_save_answer": {"it": "Salva la risposta", "en": "Save the answer"},
    "hl_protocol_done": {"it": "Protocollo completato.", "en": "Protocol completed."},
    "hl_redirect_to": {"it": "Indirizza a", "en": "Redirect to"},
    "hl_redirect_needs_place": {"it": "Scegli il comune di chi chiama per vedere i numeri.",
                                "en": "Choose the caller's municipality to see the numbers."},
    "hl_no_number": {"it": "Nessun numero di questo tipo nella rubrica",
                     "en": "No number of this kind in the directory"},
    "hl_call": {"it": "Chiama", "en": "Call"},
    "hl_copy": {"it": "Copia", "en": "Copy"},
    "hl_copied": {"it": "Copiato", "en": "Copied"},
    "hl_end_call": {"it": "Chiudi la chiamata", "en": "End the call"},
    "hl_notes": {"it": "Note", "en": "Notes"},
    "hl_notes_help": {"it": "Le note sono conservate nell'archivio riservato, non negli eventi.",
                      "en": "Notes are kept in the privacy vault, never in the events."},
    "hl_call_ended": {"it": "chiamata chiusa", "en": "call ended"},
    "hl_resumed": {"it": "Chiamata ripresa da dove era rimasta.", "en": "Call resumed where it was left."},
    "hl_directory": {"it": "Rubrica dei numeri utili", "en": "Directory of useful numbers"},
    "hl_municipality": {"it": "Comune", "en": "Municipality"},
    "hl_service": {"it": "Servizio (es. sanità)", "en": "Service (e.g. health)"},
    "hl_search": {"it": "Cerca", "en": "Search"},
    "hl_not_a_volunteer": {
        "it": "La linea d'ascolto è per gli account dei volontari, e questo account ha il ruolo «{role}». Accedi "
              "con un account da volontario collegato alla tua scheda.",
        "en": "The helpline screen is for volunteers' accounts, and this account has the role \u201c{role}\u201d. "
              "Sign in with a volunteer account linked to your volunteer record."},
    "nav_protocols": {"it": "Protocolli", "en": "Protocols"},
    "protocols_title": {"it": "Protocolli della linea d'ascolto", "en": "Helpline protocols"},
    "pr_intro": {"it": "Una versione pubblicata non cambia più: le chiamate tengono la versione che hanno seguito. "
                       "Per cambiare un protocollo prepara la versione successiva, guardane l'anteprima e pubblicala.",
                 "en": "A published version never changes: calls keep the version they followed. To change a "
                       "protocol, draft its next version, preview it and publish it."},
    "pr_protocols": {"it": "Protocolli pubblicati", "en": "Published protocols"},
    "pr_published_version": {"it": "Versione pubblicata", "en": "Published version"},
    "pr_read_only": {"it": "sola lettura", "en": "read-only"},
    "pr_draft_next": {"it": "Prepara la versione successiva", "en": "Draft the next version"},
    "pr_draft_new": {"it": "Nuovo protocollo", "en": "New protocol"},
    "pr_draft_of": {"it": "Bozza di", "en": "Draft of"},
    "pr_name": {"it": "Nome del protocollo", "en": "Protocol name"},
    "pr_add_step": {"it": "Aggiungi un passo", "en": "Add a step"},
    "pr_remove_step": {"it": "Togli il passo", "en": "Remove the step"},
    "pr_move_up": {"it": "Sposta su", "en": "Move up"},
    "pr_key": {"it": "Chiave", "en": "Key"},
    "pr_key_help": {"it": "minuscole, cifre o _ (es. motivo)", "en": "lower-case letters, digits or _ (e.g. reason)"},
    "pr_question": {"it": "Domanda", "en": "Question"},
    "pr_choices": {"it": "Scelte", "en": "Choices"},
    "pr_choices_help": {"it": "una per riga; nessuna = risposta libera", "en": "one per line; none = free text"},
    "pr_free_text": {"it": "Risposta libera", "en": "Free-text answer"},
    "pr_redirect_when": {"it": "Indirizza quando la risposta è", "en": "Redirect when the answer is"},
    "pr_redirect_to": {"it": "Categoria della rubrica", "en": "Directory category"},
    "pr_redirect_rule": {"it": "Indirizzamento", "en": "Redirect"},
    "pr_preview": {"it": "Anteprima", "en": "Preview"},
    "pr_preview_title": {"it": "Come la vedrà il volontario", "en": "As the volunteer will see it"},
    "pr_publish": {"it": "Pubblica", "en": "Publish"},
    "pr_publish_help": {"it": "La bozza resta in questa pagina finché non la pubblichi.",
                        "en": "The draft stays on this page until you publish it."},
    "pr_published": {"it": "Pubblicato", "en": "Published"},
    "cat_health": {"it": "sanità", "en": "health"},
    "cat_social_services": {"it": "servizi sociali", "en": "social services"},
    "cat_civil_protection": {"it": "protezione civile", "en": "civil protection"},
    # (end of helpline and protocols)
    # shifts and coverage
    # (end of shifts and coverage)
    # sign-up and the volunteers' desk
    # (end of sign-up and the volunteers' desk)
    # live board
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
