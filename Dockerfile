# openmeetings-slack in a small container. It runs the Procfile's web line, `python -m bot`: HTTP on $PORT,
# or Socket Mode when SLACK_APP_TOKEN is set (then $PORT serves only /healthz and /metrics).
# Settings come from the environment (docker run --env-file .env ...); see README.md, "Deploying".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

# The dependencies from the lock (requirements.txt, the versions the tests ran on), then the project itself
# without resolving anything more. Installed into site-packages as root and the sources removed: the bot's
# user can read the code, not change it.
COPY requirements.txt pyproject.toml /src/
COPY bot /src/bot
COPY handlers /src/handlers
COPY om /src/om
RUN pip install --no-cache-dir -r /src/requirements.txt \
    && pip install --no-cache-dir --no-deps /src \
    && rm -rf /src \
    && useradd --system --uid 10001 --create-home --home-dir /home/bot bot

USER 10001
WORKDIR /home/bot
EXPOSE 3000

# slim has no curl; the bot asks its own /healthz (200 = OpenMeetings answers and a session is ready).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "-m", "bot", "healthcheck"]

CMD ["python", "-m", "bot"]
