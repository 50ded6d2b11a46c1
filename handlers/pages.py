"""The small HTML pages a browser sees at a join link, and every sentence on them. Pure: status, title, text in;
a page out. Nothing a person typed or a secret is ever put on one."""

from __future__ import annotations

import html
from dataclasses import dataclass

SPENT = (
    "This join link has been used already: each link opens OpenMeetings once. Use the fresh Join button in Slack "
    "(on the bot's Home tab: reopen the tab), or run /meet again."
)
EXPIRED = "This join link has expired. Run /meet again in Slack for a fresh one."
FORGED = "This is not a join link the bot made, or it was cut short when it was copied. Run /meet again in Slack."
ROOM_GONE = "This room no longer exists in OpenMeetings. Run /meet list in Slack to see the rooms there are."
NOT_NOW = "Reload this page in a minute: the link has not been used, so it still works."
STORE_RESET = (
    "This join link was made before the bot's store of used links was reset, so the bot can't tell whether it has "
    "been used, and won't open it. Run /meet again in Slack for a fresh one."
)
CANT_CHECK = "The bot can't check this link right now, so it won't open it. Reload this page in a minute."
PREVIEW = "A personal join link to OpenMeetings. Open it in your browser to join the room."


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    title: str = ""
    text: str = ""
    location: str = ""  # a redirect when set

    def html(self) -> str:
        title, text = html.escape(self.title), html.escape(self.text)
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex"><title>' + title + "</title>"
            "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em}</style>"
            "</head><body><h1>" + title + "</h1><p>" + text + "</p></body></html>"
        )


def redirect(url: str) -> Page:
    return Page(303, location=url)


def preview() -> Page:
    return Page(200, "OpenMeetings join link", PREVIEW)


def refused(status: int, title: str, text: str) -> Page:
    return Page(status, title, text)
