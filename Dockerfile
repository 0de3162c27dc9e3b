# syntax=docker/dockerfile:1
#
# availability-server image: the server (entrypoint), the `availability`
# CLI (used by the chart's helm test pod and snapshot import CronJob) and
# `availability-sync`, the Magento MSI connector (the chart's magento
# Deployment runs it as its command).
#
#   docker build -t availability-server:dev .
#   docker run --rm -p 50051:50051 -e AVAILABILITY_REDIS_HOST=host.docker.internal \
#     availability-server:dev
#
# Build stage: Debian 12 with exactly the packages of a developer machine
# (scripts/setup), then scripts/static-build-check, which builds the three
# binaries with -DAVAILABILITY_STATIC_LINK=ON (gRPC, protobuf, Abseil,
# hiredis, libevent, libmariadb, OpenSSL, c-ares, re2, zlib and libstdc++
# from Debian's
# static archives; glibc stays dynamic) and fails unless ldd shows only
# glibc and `env -i availability-server --help` (and availability-sync's)
# works.
#
# Runtime stage: distroless base-nossl (Debian 12): glibc, CA certificates,
# tzdata, /etc/passwd with the nonroot user 65532, and no shell or package
# manager. glibc rather than "static" distroless because the binaries are
# linked dynamically against glibc (getaddrinfo/NSS for Redis host names does
# not work from a fully static glibc); "nossl" because OpenSSL is linked in
# statically. debian:bookworm-slim would work too (use it with
# --build-arg RUNTIME_IMAGE=debian:bookworm-slim when a shell is wanted for
# debugging) but adds a shell, apt and ~70 MB; on Kubernetes, debug with
# `kubectl debug` (an ephemeral container) instead.
#
# Pin both images by digest in CI (FROM image@sha256:...) for reproducible
# builds; tags are used here because this tree is built offline.

ARG BUILD_IMAGE=debian:bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/base-nossl-debian12:nonroot

FROM ${BUILD_IMAGE} AS build
# The package list lives in one place: scripts/setup (apt-get, idempotent).
COPY scripts/setup /src/scripts/setup
RUN /src/scripts/setup && rm -rf /var/lib/apt/lists/*
COPY . /src
WORKDIR /src
# ccache survives between builds with BuildKit's cache mount.
RUN --mount=type=cache,target=/root/.cache/ccache \
    BUILD_DIR=/build BUILD_TYPE=Release scripts/static-build-check
RUN mkdir -p /out \
 && strip --strip-unneeded -o /out/availability-server /build/server/availability-server \
 && strip --strip-unneeded -o /out/availability /build/client/availability \
 && strip --strip-unneeded -o /out/availability-sync /build/sync/availability-sync

FROM ${RUNTIME_IMAGE}
COPY --from=build /out/availability-server /out/availability \
     /out/availability-sync /usr/local/bin/
# Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
# Nothing is written outside /tmp (an emptyDir under Kubernetes, where the
# root filesystem is read-only). gRPC clients (the CLI against a TLS server)
# find the system CA bundle here.
ENV TMPDIR=/tmp \
    GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=/etc/ssl/certs/ca-certificates.crt
# 50051 storefront gRPC, 50052 sync/admin gRPC, 9464 metrics (when enabled);
# 9465 availability-sync's /metrics (the chart's magento.metricsPort).
EXPOSE 50051 50052 9464 9465
# For `docker run` / compose; Kubernetes uses the chart's native gRPC probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s \
  CMD ["/usr/local/bin/availability", "health", "--server", "127.0.0.1:50051"]
# SIGTERM drains within --shutdown_grace (AVAILABILITY_SHUTDOWN_GRACE).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/availability-server"]
