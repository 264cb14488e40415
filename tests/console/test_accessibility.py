"""Accessibility basics without a browser: WCAG contrast of the console palette, labels on every control."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from services.console.pages import STATIC

PALETTE = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", (STATIC / "console.css").read_text()))
TEXT = 4.5  # WCAG 2.1 AA, normal text
GRAPHICS = 3.0  # WCAG 2.1 AA, non-text contrast (bars, focus ring, borders of controls)
PAIRS = [
    ("ink", "paper", TEXT), ("ink", "surface", TEXT), ("muted", "paper", TEXT), ("muted", "surface", TEXT),
    ("primary", "paper", TEXT), ("primary", "surface", TEXT), ("on-primary", "primary", TEXT),
    ("danger", "paper", TEXT), ("ok-ink", "ok-bg", TEXT), ("error-ink", "error-bg", TEXT), ("ink", "badge-bg", TEXT),
    ("pledged", "paper", GRAPHICS), ("paid", "paper", GRAPHICS), ("series-3", "paper", GRAPHICS),
    ("pledged", "surface", GRAPHICS), ("paid", "pledged", GRAPHICS), ("focus", "paper", GRAPHICS),
    ("focus", "surface", GRAPHICS), ("line", "paper", GRAPHICS),
]


def luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_wcag_reference_values() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#767676", "#ffffff"), 2) == 4.54


@pytest.mark.parametrize(("foreground", "background", "minimum"), PAIRS)
def test_every_colour_pair_of_the_console_meets_wcag_aa(foreground: str, background: str, minimum: float) -> None:
    ratio = contrast(PALETTE[foreground], PALETTE[background])
    assert ratio >= minimum, f"{foreground} on {background}: {ratio:.2f} < {minimum}"


class Controls(HTMLParser):
    """Collects form controls without a label, buttons and links without a name, images without alt."""

    def __init__(self) -> None:
        super().__init__()
        self.labelled: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.problems: list[str] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self._label_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self._label_depth += 1
            if a.get("for"):
                self.labelled.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append({**a, "_wrapped": "yes" if self._label_depth else None})
        if tag == "img" and not a.get("alt"):
            self.problems.append(f"img without alt: {a}")
        if tag in ("button", "a"):
            self._open.append((tag, a, []))

    def handle_data(self, data: str) -> None:
        for _tag, _attrs, text in self._open:
            text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1
        if tag in ("button", "a") and self._open:
            _tag, attrs, text = self._open.pop()
            # an element without text is named by the script that fills it, through its id
            if not "".join(text).strip() and not attrs.get("aria-label") and not attrs.get("id"):
                self.problems.append(f"{tag} without an accessible name: {attrs}")

    def unlabelled(self) -> list[str]:
        return [str(c) for c in self.controls
                if not c["_wrapped"] and c.get("id") not in self.labelled and not c.get("aria-label")]


@pytest.mark.parametrize("path", ["/", "/console/login", "/console/campaigns", "/console/calling", "/console/hours",
                                  "/console/auditor", "/console/campaigns/6a0f5d2e-1111-4c2b-9b55-000000000001",
                                  "/console/helpline", "/console/protocols", "/console/shifts", "/join",
                                  "/console/volunteers", "/console/volunteers/6a0f5d2e-1111-4c2b-9b55-000000000002",
                                  "/console/welcome", "/console/now",
                                  "/console/directory",  # directory
                                  "/console/regular",  # regular
                                  "/console/donors", "/console/donors/6a0f5d2e-1111-4c2b-9b55-000000000003",  # donors
                                  # polish
                                  "/console/funds", "/console/funds/6a0f5d2e-1111-4c2b-9b55-000000000004",
                                  "/console/privacy", "/console/pledges/new",
                                  "/console/pledges/6a0f5d2e-1111-4c2b-9b55-000000000005", "/console/gifts/import",
                                  "/console/gifts/overdue", "/console/admin", "/console/receipts",
                                  # (end of polish)
                                  ])
def test_every_control_has_a_label_and_every_button_a_name(page_reader: TestClient, path: str) -> None:
    page = page_reader.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["content-language"] == "en"
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def test_pages_speak_italian_by_default_and_english_when_asked(client: TestClient) -> None:
    assert '<html lang="it-IT">' in client.get("/console/calling").text
    assert "Prossimo contatto" in client.get("/console/calling").text
    assert "Next contact" in client.get("/console/calling?lang=en").text
    assert "Next contact" in client.get("/console/calling", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
