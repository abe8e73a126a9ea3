"""A person who reads with difficulty has the page's help read aloud, in Vietnamese."""

from __future__ import annotations

from playwright.sync_api import Page, expect

# Speech cannot be heard in a test: this spy stands in for the speaker and
# keeps what it was asked to say.
SPEECH_SPY = """
window.__spoken = [];
if ('speechSynthesis' in window) {
  window.speechSynthesis.speak = (utterance) => {
    window.__spoken.push({text: utterance.text, lang: utterance.lang});
  };
}
"""

NO_SPEECH = "delete window.speechSynthesis; delete Window.prototype.speechSynthesis;"


def test_read_aloud_speaks_the_help_text_in_vietnamese(page: Page) -> None:
    # Given a browser that can speak, and a person on the home page
    page.add_init_script(SPEECH_SPY)
    page.goto("/")
    assert page.evaluate("'speechSynthesis' in window")
    help_texts = page.locator("[data-help]").all_inner_texts()
    assert help_texts, "the home page marks no help text"

    # Then she sees the read-aloud button
    button = page.locator("[data-read-aloud]")
    expect(button).to_be_visible()

    # When she taps it
    button.click()

    # Then the page's help is spoken once, in Vietnamese
    spoken = page.evaluate("window.__spoken")
    assert len(spoken) == 1
    assert spoken[0]["lang"] == "vi-VN"
    for text in help_texts:
        assert " ".join(text.split()) in " ".join(spoken[0]["text"].split())


def test_read_aloud_is_not_offered_where_the_browser_cannot_speak(page: Page) -> None:
    # Given a browser without speech synthesis
    page.add_init_script(NO_SPEECH)

    # When a person opens the home page
    page.goto("/")
    assert not page.evaluate("'speechSynthesis' in window")

    # Then no button promises what cannot happen
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("[data-read-aloud]")).to_be_hidden()
