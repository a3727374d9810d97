# One image for every service of the platform; each docker-compose service
# chooses what to run with its `command` (nameko run ..., python -m bootstrap).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (every package pinned and hashed in requirements.lock) so code changes reuse this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

# The code stays owned by root: the service user can read it, not change it.
COPY . .

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app

# Nothing special by default: every compose service sets its own command.
CMD ["python"]
