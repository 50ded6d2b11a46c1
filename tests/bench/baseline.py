"""The baseline: how OM's own sample integrations do it, as a plain Bolt app.

In each request it acks, then looks the person up (``users.info``), logs in to OM, asks for a hash on that fresh SID
and posts the reply to the ``response_url``. It is served like the bot (aiohttp, ``POST /slack/events``,
``GET /healthz``) from the same environment variables, and is written the way Bolt's docs show: ``AsyncApp`` with
its defaults, its ``client`` and ``respond``, and one shared ``httpx.AsyncClient`` for OM. Nothing in it is slowed
down on purpose.

``python -m tests.bench.baseline`` (reads the bot's settings from the environment).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import httpx
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

BOLT: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)
HTTP: web.AppKey[httpx.AsyncClient] = web.AppKey("http", httpx.AsyncClient)


def create_web_app(env: dict[str, str]) -> web.Application:
    om_url = env["OPENMEETINGS_URL"].rstrip("/")
    om_user, om_password = env["OPENMEETINGS_USER"], env["OPENMEETINGS_PASSWORD"]
    http = httpx.AsyncClient(timeout=30.0)
    app = AsyncApp(
        token=env["SLACK_BOT_TOKEN"],
        signing_secret=env["SLACK_SIGNING_SECRET"],
        client=AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=env.get("SLACK_API_URL") or None),
    )

    async def om_call(path: str, **kwargs: Any) -> str:
        response = await http.post(f"{om_url}/services{path}", **kwargs)
        result = response.json()["serviceResult"]
        if result.get("type") != "SUCCESS":
            raise RuntimeError(f"OpenMeetings refused {path}: {result.get('message')}")
        return str(result["message"])

    @app.command("/meet")
    async def meet(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        room_id = int("".join(c for c in body.get("text", "") if c.isdigit()) or "1")
        user = (await client.users_info(user=body["user_id"], include_locale=True))["user"]
        profile = user.get("profile", {})
        sid = await om_call("/user/login", data={"user": om_user, "pass": om_password})
        external_user = {
            "login": user["name"],
            "firstname": profile.get("first_name") or user["name"],
            "lastname": profile.get("last_name") or "",
            "email": profile.get("email") or "",
            "profilePictureUrl": profile.get("image_192") or "",
            "externalId": f"{body['team_id']}:{user['id']}",
            "externalType": "slack",
        }
        options = {"roomId": room_id, "moderator": False, "showAudioVideoTest": False}
        secure = await om_call(
            "/user/hash",
            params={"sid": sid},
            data={"user": json.dumps(external_user), "options": json.dumps(options)},
        )
        url = f"{om_url}/hash?secure={secure}&language=1"
        await respond(
            text=f"Join OpenMeetings room {room_id}",
            response_type="ephemeral",
            blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": f"OpenMeetings room {room_id}"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "join_room",
                            "style": "primary",
                            "text": {"type": "plain_text", "text": f"Join room {room_id}"},
                            "url": url,
                        }
                    ],
                },
            ],
        )

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def healthz(request: web.Request) -> web.Response:
        response = await http.get(f"{om_url}/services/info/health", timeout=3.0)
        health = response.json().get("health", {})
        ok = response.status_code == 200 and all(health.get(k) is True for k in ("inited", "installed", "dbOk"))
        return web.json_response({"status": "ok" if ok else "unhealthy"}, status=200 if ok else 503)

    async def lifecycle(web_app: web.Application) -> Any:
        yield
        await http.aclose()

    web_app = web.Application(client_max_size=512 * 1024)
    web_app[BOLT] = app
    web_app[HTTP] = http
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.cleanup_ctx.append(lifecycle)
    return web_app


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL") or "INFO", stream=sys.stderr)
    # httpx logs every URL at INFO, and the hash call's URL carries the SID.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    web.run_app(
        create_web_app(dict(os.environ)),
        host="0.0.0.0",  # noqa: S104 - served exactly like the bot
        port=int(os.environ.get("PORT") or "3000"),
        access_log=None,
        print=None,
        shutdown_timeout=5.0,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
