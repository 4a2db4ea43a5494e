# One image for every citytwin service; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CITYTWIN_CACHE=/var/lib/citytwin/cache

WORKDIR /opt/citytwin
COPY pyproject.toml constraints.txt README.md ./
COPY citytwin ./citytwin
COPY edge ./edge
COPY cloud ./cloud
COPY models ./models
COPY tests/fixtures ./tests/fixtures
RUN pip install --no-cache-dir -c constraints.txt -e '.[edge,cloud]' \
    && tests/fixtures/fetch.sh \
    && useradd --system --home-dir /var/lib/citytwin citytwin \
    && mkdir -p /var/lib/citytwin/lake /var/lib/citytwin/spool \
    && chown -R citytwin /var/lib/citytwin

USER citytwin
ENTRYPOINT []
CMD ["citytwin", "--help"]
