# One image for every citytwin service; docker-compose.yml picks the command.
# The citytwin user's uid is fixed (10001): the compose secrets service hands each
# service its credentials as that user, and named volumes take their owner from here.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CITYTWIN_CACHE=/var/lib/citytwin/cache

WORKDIR /opt/citytwin
COPY pyproject.toml constraints.txt README.md ./
COPY citytwin ./citytwin
COPY contract ./contract
COPY edge ./edge
COPY cloud ./cloud
COPY models ./models
COPY tests/fixtures ./tests/fixtures
RUN pip install --no-cache-dir -c constraints.txt -e '.[edge,cloud]' \
    && tests/fixtures/fetch.sh \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/citytwin citytwin \
    && mkdir -p /var/lib/citytwin/lake /var/lib/citytwin/spool /var/lib/citytwin/decisions /var/lib/citytwin/audit \
    && chown -R citytwin:citytwin /var/lib/citytwin

USER citytwin
ENTRYPOINT []
CMD ["citytwin", "--help"]
