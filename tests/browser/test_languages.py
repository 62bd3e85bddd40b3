"""A language switch relabels the whole open app at once: the layer panel, an open tool card, an open information
panel and an error notice, without a reload. Server errors are said in both languages, with a retry only where
trying again can help."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def fail_with(status: int, headers: dict | None = None):
    return lambda route: route.fulfill(
        status=status,
        body='{"detail": "Request was throttled."}',
        content_type="application/json",
        headers=headers or {},
    )


def test_switching_to_english_relabels_the_open_app_without_a_reload(page):
    # The bus stops' list answers 429 (throttled), with the wait the server asks for.
    page.route("**/api/transit/stops/**", fail_with(429, {"Retry-After": "30"}))
    page.open("/")
    notice = page.locator("#notices [data-notice='transit-stops']")
    notice.wait_for(state="visible")
    assert "Trop de demandes" in notice.locator(".notice-text").inner_text()
    assert "30 s" in notice.locator(".notice-text").inner_text()
    # Offered, but only once the wait is over.
    assert notice.locator("[data-testid=notice-retry]").is_disabled()

    # A tool card open and an information panel open when the visitor switches.
    page.click("button[data-tool=sun]")
    card = page.locator("[data-testid=sun-card]")
    assert card.is_visible()
    assert "Heure locale" in card.inner_text()
    page.evaluate(
        "window.jumeau.tools.SearchPlugin.showPanel({label: 'Rue Fontvieille', kind: 'street', lon: 7.12, lat: 43.58})"
    )
    assert page.locator("#panel dt").first.inner_text() == "Type"
    marker = page.evaluate("window.__sameDocument = true")
    assert marker is True

    page.click("[data-testid=language]")

    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert page.locator("html").get_attribute("lang") == "en"
    # The layer panel: group titles and the layers' own names.
    assert page.locator("fieldset[data-group=buildings] legend").inner_text() == "Buildings"
    assert page.locator("fieldset[data-group=buildings] label").first.inner_text().strip() == "Buildings"
    assert page.locator("fieldset[data-group=terrain] label").first.inner_text().strip() == "Base map"
    assert page.locator("fieldset[data-group=buses] label").first.inner_text().strip() == "Buses"
    # The open tool card and the other tools' buttons.
    assert page.locator("button[data-tool=sun]").inner_text() == "Sun and shadows"
    assert card.get_attribute("aria-label") == "Sun and shadows"
    assert card.is_visible()
    text = card.inner_text()
    assert "Local time" in text and "21 June" in text and "Heure" not in text
    assert page.locator("[data-testid=sun-time]").inner_text().count(":") == 1  # 24-hour clock, "14:15"
    assert page.locator("button[data-tool=measure]").inner_text() == "Measure"
    # The open information panel, built again by its plugin.
    assert page.locator("#panel dt").first.inner_text() == "Kind"
    # The error notice, said again in English, its wait kept.
    said = notice.locator(".notice-text").inner_text()
    assert said.startswith("Bus stops: the list could not be loaded.") and "wait 30 s" in said, said
    assert notice.locator("[data-testid=notice-retry]").inner_text() == "Try again"
    assert notice.locator(".notice-close").get_attribute("aria-label") == "Close this message"

    # And back.
    page.click("[data-testid=language]")
    assert page.locator("button[data-tool=sun]").inner_text() == "Soleil et ombres"
    assert "Trop de demandes" in notice.locator(".notice-text").inner_text()
    assert page.locator("fieldset[data-group=buses] label").first.inner_text().strip() == "Bus"
    # The console keeps the server's own words for developers; the visitor read them in the notice.
    assert not [e for e in page.errors if "429" not in e and "throttled" not in e and "favicon" not in e], page.errors


def test_a_forbidden_answer_says_why_in_both_languages_and_offers_no_retry(page):
    page.route("**/api/transit/stops/**", fail_with(403))
    page.open("/")
    notice = page.locator("#notices [data-notice='transit-stops']")
    notice.wait_for(state="visible")
    assert "Accès refusé" in notice.locator(".notice-text").inner_text()
    # Trying again cannot give an account a right it lacks.
    assert notice.locator("[data-testid=notice-retry]").count() == 0
    page.click("[data-testid=language]")
    assert "Access denied" in notice.locator(".notice-text").inner_text()


def test_http_errors_are_worded_in_both_languages(page):
    page.open("/")
    said = page.evaluate(
        """async () => {
            const http = await import('/static/jumeau/core/http.js');
            const i18n = await import('/static/jumeau/core/i18n.js');
            const cases = {
                network: new http.HttpError('', {kind: 'network'}), json: new http.HttpError('', {kind: 'json'}),
                s500: {status: 500}, s503: {status: 503}, s404: {status: 404}, s418: {status: 418},
                s429: new http.HttpError('', {status: 429, retryAfter: 12}), s403: {status: 403},
            };
            const out = {};
            for (const lng of ['fr', 'en']) {
                await i18n.setLanguage(lng);
                for (const [k, err] of Object.entries(cases))
                    out[`${lng}.${k}`] = [http.describeError(err), http.retryable(err)];
            }
            return out;
        }"""
    )
    assert said["fr.network"][0].startswith("Le serveur ne répond pas") and said["fr.network"][1] is True
    assert said["en.network"][0].startswith("The server does not answer") and said["en.network"][1] is True
    assert "illisible" in said["fr.json"][0] and "cannot be read" in said["en.json"][0]
    assert said["en.s500"][1] is True and "error" in said["en.s500"][0]
    assert "maintenance" in said["en.s503"][0]
    assert said["en.s429"] == ["Too many requests in a short time: wait 12 s, then try again.", True]
    assert said["fr.s429"][0] == "Trop de demandes en peu de temps : patientez 12 s puis réessayez."
    assert said["en.s403"][1] is False and said["en.s403"][0].startswith("Access denied")
    assert said["en.s418"][0] == "The server refused the request (error 418)." and said["en.s418"][1] is False
    assert said["fr.s404"][0].startswith("Donnée introuvable")
