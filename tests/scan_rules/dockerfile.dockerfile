# Cases for src/shipline/scan/rules/dockerfile.yml, checked with `semgrep --test`.
# ruleid: shipline.dockerfile.unpinned-base-image
FROM python:latest AS build
# ok: shipline.dockerfile.unpinned-base-image
FROM python:3.12-slim AS test
# ruleid: shipline.dockerfile.unpinned-base-image
FROM debian
# ok: shipline.dockerfile.unpinned-base-image
FROM test AS dev
# ok: shipline.dockerfile.unpinned-base-image
FROM build
# ok: shipline.dockerfile.secret-in-env
ENV APP_HOME=/srv/app
# ruleid: shipline.dockerfile.secret-in-env
ENV DB_PASSWORD=hunter2
# ruleid: shipline.dockerfile.secret-in-env
ARG API_TOKEN=abc123
# ruleid: shipline.dockerfile.curl-pipe-shell
RUN curl -fsSL https://example.org/install.sh | sh
# ok: shipline.dockerfile.curl-pipe-shell
RUN curl -fsSLo install.sh https://example.org/install.sh && sha256sum -c install.sh.sha256
# ruleid: shipline.dockerfile.runs-as-root
USER root
RUN apt-get update
# ok: shipline.dockerfile.runs-as-root
USER app
